"""Least restrictive (docs/domain.md: principles; Flintshire "Formal decision to manage
contact" and Wrexham 6.2: "wherever possible ... at least one line of contact will remain
available"). A decision or variation that would close every inbound channel for good is
refused unless overridden; this finds such a closure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.domain.contact_rules import NO_CONTACTS, check_contact
from app.domain.markers import Marker
from app.domain.vocabulary import ALL_CHANNELS, Channel, Direction, MarkerKind

# Kinds that can deny an inbound channel at all. A quota is left out: it reopens with each
# new period, so it never closes a channel for good.
_DENYING = frozenset(
    {
        MarkerKind.TELEPHONE_SUSPENSION,
        MarkerKind.CHANNEL_LIMIT,
        MarkerKind.TELEPHONE_SCHEDULE,
        MarkerKind.SOCIAL_MEDIA_BLOCK,
    }
)


@dataclass(frozen=True, slots=True)
class ClosedChannel:
    channel: Channel
    marker_ids: tuple[str, ...]  # the open-ended markers that deny it
    # The service whose matters it is closed for; None: council-wide.
    service: str | None


def _scopes(markers: Sequence[Marker]) -> list[str | None]:
    """Council-wide, then each service a marker names (casefolded, in first-seen order):
    a customer must keep a line for every matter, and a service's own markers add to the
    council-wide ones only for that service."""
    seen: dict[str, str] = {}
    for marker in markers:
        for service in marker.services or ():
            seen.setdefault(service.casefold(), service)
    return [None, *seen.values()]


def closed_for_good(markers: Sequence[Marker], at: datetime) -> tuple[ClosedChannel, ...]:
    """The inbound channels these markers would leave with no open path at all, from `at`
    on and for ever, with the markers that close them: reported for a scope only when every
    channel in it is closed (one line open is enough). Empty when a line stays open for
    every scope. Only open-ended markers can close a channel for good; a marker with an end
    leaves the channel open once it ends, so they are judged once all have begun."""
    lasting = [
        m for m in markers if m.ends_at is None and m.lifted_at is None and m.kind in _DENYING
    ]
    if not lasting:
        return ()
    when = max(at, *(m.starts_at for m in lasting))
    found: list[ClosedChannel] = []
    for scope in _scopes(lasting):
        if scope is None:
            relevant = [m for m in lasting if m.services is None]
        else:
            relevant = [m for m in lasting if m.covers(scope)]
        closed: list[ClosedChannel] = []
        for channel in ALL_CHANNELS:
            result = check_contact(relevant, channel, when, Direction.INBOUND, None, NO_CONTACTS)
            if result.allowed or result.next_allowed_at is not None:
                break
            ids = tuple(r.marker_id for r in result.reasons if r.kind in _DENYING)
            closed.append(ClosedChannel(channel, ids, scope))
        else:
            found.extend(closed)
    return tuple(found)
