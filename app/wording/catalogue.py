"""The message catalogue: which words to use for a language, and the two renderings every
reader of the service sees (a marker's summary, a contact check's reason).

A language is one module that provides what `Wording` lists: `REASONS`, a template for
every `ReasonCode`, and `summary`. Adding Welsh is adding `cy.py` with the same names and
listing it in `CATALOGUES`; mypy checks the module against `Wording`, and the tests check
that every code has a template."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final, Protocol

from app.domain.contact_rules import Reason, ReasonCode, ReasonParams
from app.domain.markers import Marker
from app.domain.vocabulary import Language
from app.wording import en

ReasonTemplate = Callable[[ReasonParams], str]


class Wording(Protocol):
    """What one language provides."""

    @property
    def REASONS(self) -> Mapping[ReasonCode, ReasonTemplate]:
        """The words for each reason code, from the values the rule found."""
        ...

    def summary(self, marker: Marker) -> str:
        """The one-paragraph description of a marker that goes with every read."""
        ...


CATALOGUES: Final[Mapping[Language, Wording]] = MappingProxyType({Language.EN: en})

# Welsh is not written yet (it comes with the letters): until then a Welsh reader gets
# English rather than an error, because an error leaves a call handler with no guidance
# at all. Settled once here, so rendering a reason is two lookups and the template.
_WORDING: Final[dict[Language, Wording]] = {
    language: CATALOGUES.get(language, en) for language in Language
}


def wording(language: Language) -> Wording:
    """The catalogue for a language (English for one not written yet)."""
    return _WORDING[language]


def render_reason(reason: Reason, language: Language = Language.EN) -> str:
    return _WORDING[language].REASONS[reason.code](reason.params)


def render_summary(marker: Marker, language: Language = Language.EN) -> str:
    return _WORDING[language].summary(marker)
