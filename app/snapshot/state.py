"""The in-memory state the two reads answer from: markers in force (or still to come),
preferred languages, and the recent contacts quotas count, stamped with when the state
was last confirmed current. Kept true by the listener (app/snapshot/listener.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from app.domain.contact_rules import NO_CONTACTS, ContactLog
from app.domain.markers import Marker

NO_MARKERS: tuple[Marker, ...] = ()


@dataclass(frozen=True, slots=True)
class Freshness:
    """When the data answered from was last confirmed current, and whether it still is."""

    as_of: datetime
    stale: bool


class CustomerView(NamedTuple):
    """Everything the reads need to know about one customer. (A named tuple: it is made
    for every read, and a tuple is the cheapest immutable value Python builds.)"""

    customer_ref: str
    preferred_language: str | None
    markers: tuple[Marker, ...]
    contacts: ContactLog = NO_CONTACTS


class CustomerState(NamedTuple):
    preferred_language: str | None
    markers: tuple[Marker, ...]
    contacts: ContactLog


@dataclass
class Snapshot:
    stale_after: timedelta
    customers: dict[str, CustomerState] = field(default_factory=dict)
    loaded: bool = False
    listening: bool = False
    db_reachable: bool | None = None  # None: not yet known
    # The reads' breaker: while set, a read that cannot answer from a current snapshot
    # answers from the last confirmed one at once instead of asking the database (see
    # app/snapshot/read_model.py). Cleared when the change feed is current again, or by a probe.
    reads_tripped: bool = False
    confirmed_at: datetime | None = None
    loaded_at: datetime | None = None
    answers_prepared: bool = False
    generations: dict[str, int] = field(default_factory=dict)
    reloads: int = 0

    def view(self, customer_ref: str) -> CustomerView:
        state = self.customers.get(customer_ref)
        if state is None:
            return CustomerView(customer_ref, None, NO_MARKERS)
        return CustomerView(customer_ref, state.preferred_language, state.markers, state.contacts)

    def is_fresh(self, now: datetime) -> bool:
        """Current: loaded, the change feed connected, and confirmed within stale_after."""
        return (
            self.loaded
            and self.listening
            and self.confirmed_at is not None
            and now - self.confirmed_at <= self.stale_after
        )

    def replace_all(self, customers: dict[str, CustomerState], confirmed_at: datetime) -> None:
        self.customers = customers
        self.reloads += 1
        self.generations = {}
        self.loaded = True
        self.loaded_at = confirmed_at
        self.confirmed_at = confirmed_at

    def generation(self, customer_ref: str) -> tuple[int, int]:
        """Changes whenever this customer's entry is replaced, alone or by a full reload
        (see ReadModel.refresh)."""
        return self.reloads, self.generations.get(customer_ref, 0)

    def put(self, customer_ref: str, state: CustomerState | None) -> None:
        self.generations[customer_ref] = self.generations.get(customer_ref, 0) + 1
        if state is None:
            self.customers.pop(customer_ref, None)
        else:
            self.customers[customer_ref] = state

    def apply_markers(self, customer_ref: str, markers: Sequence[Marker]) -> None:
        """Put markers this instance has just recorded into the customer's entry, as they
        now stand (a lifted one leaves it). Used only when the database could not be read
        back after the commit: a stale answer must still show a restriction just imposed."""
        state = self.customers.get(customer_ref) or CustomerState(None, NO_MARKERS, NO_CONTACTS)
        current = {marker.id: marker for marker in state.markers}
        for marker in markers:
            if marker.lifted_at is None:
                current[marker.id] = marker
            else:
                current.pop(marker.id, None)
        self.put(customer_ref, state._replace(markers=tuple(current.values())))

    def age_seconds(self, now: datetime) -> float | None:
        if self.confirmed_at is None:
            return None
        return max(0.0, (now - self.confirmed_at).total_seconds())
