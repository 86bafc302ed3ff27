"""The marker as the pure core sees it: an immutable value with no ORM or I/O attached."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.details import MarkerDetails
from app.domain.vocabulary import MarkerKind, MarkerStatus


@dataclass(frozen=True, slots=True)
class Marker:
    id: str
    customer_ref: str
    kind: MarkerKind
    details: MarkerDetails
    starts_at: datetime
    ends_at: datetime | None
    review_due: date | None
    services: tuple[str, ...] | None
    reason: str
    created_by: str
    created_at: datetime
    version: int
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None
    service_keys: frozenset[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.services is not None and self.service_keys is None:
            object.__setattr__(self, "service_keys", frozenset(s.casefold() for s in self.services))

    def in_force(self, at: datetime) -> bool:
        """In force from its start until its end (exclusive), unless lifted: expiry follows
        from the stored times, so nobody has to act when a marker ends."""
        if self.lifted_at is not None:
            return False
        if at < self.starts_at:
            return False
        return self.ends_at is None or at < self.ends_at

    def covers(self, service: str | None) -> bool:
        """A marker with no services covers the whole council; asked for one service, only
        markers naming it (or council-wide ones) apply."""
        if service is None or self.service_keys is None:
            return True
        return service.casefold() in self.service_keys

    def status(self, now: datetime) -> MarkerStatus:
        if self.lifted_at is not None:
            return MarkerStatus.LIFTED
        if self.ends_at is not None and now >= self.ends_at:
            return MarkerStatus.EXPIRED
        if now < self.starts_at:
            return MarkerStatus.SCHEDULED
        return MarkerStatus.ACTIVE
