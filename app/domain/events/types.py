"""Every event type the service emits. Adding one is one line here and one call where the
change is recorded (app/persistence/changes.py)."""

from __future__ import annotations

import re
from enum import StrEnum

# CloudEvents `type` is reverse-DNS-like; the prefix names this service.
TYPE_PREFIX = "contactrestrictions."


class EventType(StrEnum):
    MARKER_IMPOSED = "marker.imposed"
    MARKER_VARIED = "marker.varied"
    MARKER_LIFTED = "marker.lifted"
    # A marker that ends by time, at its instant, with nobody acting.
    MARKER_EXPIRED = "marker.expired"
    DECISION_RECORDED = "decision.recorded"
    # A record's next version: what its recorder wrote down, corrected (app/decisions).
    DECISION_CORRECTED = "decision.corrected"
    # A review of a formal decision recorded: done, or waiting for a second reviewer.
    REVIEW_RECORDED = "review.recorded"
    # A formal decision's review date has come (its first instant, London), and the review
    # is overdue (the first instant after that day) with nobody acting, once each.
    REVIEW_DUE = "review.due"
    REVIEW_OVERDUE = "review.overdue"
    APPEAL_LODGED = "appeal.lodged"
    APPEAL_DECIDED = "appeal.decided"
    INCIDENT_RECORDED = "incident.recorded"
    PREFERENCES_CHANGED = "customer.preferences_changed"

    @property
    def cloudevents_type(self) -> str:
        return TYPE_PREFIX + self.value

    @classmethod
    def from_cloudevents_type(cls, value: str) -> EventType:
        """The type from its CloudEvents name; ValueError for any other string."""
        if not value.startswith(TYPE_PREFIX):
            raise ValueError(f"{value} is not an event type of this service")
        return cls(value[len(TYPE_PREFIX) :])


CLOUDEVENTS_TYPES = sorted(t.cloudevents_type for t in EventType)
# Any one of the types, as JSON Schema can state it (the API's `pattern`).
CLOUDEVENTS_TYPE_PATTERN = "^(" + "|".join(re.escape(t) for t in CLOUDEVENTS_TYPES) + ")$"
