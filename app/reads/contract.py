"""The read contract, declared once: the two reads' three paths, the query parameters each
accepts with their defaults, the headers each reads, and the bounds on their input.

The fast layer (fastpath.py) answers from this declaration, the routes (router.py) are
declared from it (and so is the OpenAPI generated from them), and the metrics and request
logs name the routes by its templates. Change the contract here and both paths follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from app.auth import AUTHORIZATION_HEADER, Action
from app.domain.time.clock import whole_second
from app.domain.vocabulary import Direction

# Bounds on the input.
CUSTOMER_REF_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]{1,64}$"
CUSTOMER_REF_MAX: Final = 64
SERVICE_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]{1,100}$"
SERVICE_MAX: Final = 100
IF_NONE_MATCH_LIMIT: Final = 1000

# Header names, lower case as HTTP/ASGI carry them. Every operation reads Authorization,
# through app.auth.decide.
IF_NONE_MATCH: Final = "if-none-match"
AUTHORIZATION: Final = AUTHORIZATION_HEADER

# The defaults the routes declare and the fast layer applies.
DEFAULT_INCLUDE: Final = "current"
DEFAULT_DIRECTION: Final = Direction.INBOUND
DEFAULT_FORMAT: Final = "json"


def default_at(now: datetime) -> datetime:
    """The instant a check asks about when it gives no `at`: every stored time is a whole
    second, so the answer at `now` is the answer at its second, and the echo repeats for
    a second."""
    return whole_second(now)


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    # As the query string would carry it; None: no default (absent means "not given").
    default: str | None = None
    required: bool = False
    # False for an accepted alias the OpenAPI describes in words instead of declaring.
    documented: bool = True


@dataclass(frozen=True, slots=True)
class ReadOperation:
    action: Action
    template: str
    # The part of the path after the customer reference.
    suffix: str
    query: tuple[QueryParam, ...]
    headers: tuple[str, ...] = ()
    # Names the fast layer checks each parameter against, once per request.
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", frozenset(p.name for p in self.query))


PREFIX: Final = "/customers/"
_REF = "{customer_ref}"

_CHANNEL = QueryParam("channel", required=True)
_AT = QueryParam("at")
_DIRECTION = QueryParam("direction", DEFAULT_DIRECTION.value)
_SERVICE = QueryParam("service")

RESTRICTIONS: Final = ReadOperation(
    action=Action.READ_RESTRICTIONS,
    template=PREFIX + _REF + "/restrictions",
    suffix="/restrictions",
    query=(QueryParam("include", DEFAULT_INCLUDE), _SERVICE),
    headers=(IF_NONE_MATCH,),
)
CHECK: Final = ReadOperation(
    action=Action.CHECK_CONTACT,
    template=PREFIX + _REF + "/contact-check",
    suffix="/contact-check",
    query=(
        _CHANNEL,
        _AT,
        _DIRECTION,
        _SERVICE,
        # An alias of the flat path for existing contact-centre flows.
        QueryParam("format", DEFAULT_FORMAT, documented=False),
    ),
)
FLAT_CHECK: Final = ReadOperation(
    action=Action.CHECK_CONTACT,
    template=PREFIX + _REF + "/contact-check/flat",
    suffix="/contact-check/flat",
    query=(_CHANNEL, _AT, _DIRECTION, _SERVICE),
)

READS: Final = (RESTRICTIONS, CHECK, FLAT_CHECK)

# The request log leaves these out when the routes answer them: they are the hot reads,
# logged only when they fail.
UNLOGGED_ROUTES: Final = frozenset({RESTRICTIONS.template, CHECK.template, FLAT_CHECK.template})
