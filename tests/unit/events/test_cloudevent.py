"""The CloudEvents envelope and the thin payloads."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from app.domain.events.cloudevent import Event, envelope, sequence_text
from app.domain.events.payloads import marker_changed, marker_expired
from app.domain.events.types import EventType
from app.domain.markers import Marker
from app.domain.vocabulary import MarkerKind

AT = datetime(2026, 7, 1, 11, 0, tzinfo=UTC)


def _marker(**changes: object) -> Marker:
    values: dict[str, object] = {
        "id": "3f1c6a2e-7a53-4f0e-9d6b-0c2d8f1b6a11",
        "customer_ref": "C-1",
        "kind": MarkerKind.READ_AND_FILE,
        "details": None,
        "starts_at": AT,
        "ends_at": datetime(2026, 8, 1, 11, 0, tzinfo=UTC),
        "review_due": date(2026, 7, 25),
        "services": ("Housing: Mr Jones's file",),
        "reason": "He shouted at Ms Smith",
        "created_by": "staff-1",
        "created_at": AT,
        "version": 2,
    }
    values.update(changes)
    return Marker(**values)  # type: ignore[arg-type]


def test_the_envelope_is_cloudevents_1_with_partition_and_sequence() -> None:
    event = Event("e-1", EventType.MARKER_LIFTED, "C-1", 7, AT, {"marker_id": "m"})
    body = envelope(event, "urn:contact-restrictions:flintshire")
    assert body == {
        "specversion": "1.0",
        "id": "e-1",
        "source": "urn:contact-restrictions:flintshire",
        "type": "contactrestrictions.marker.lifted",
        "subject": "C-1",
        "time": "2026-07-01T12:00:00+01:00",
        "datacontenttype": "application/json",
        "partitionkey": "C-1",
        "sequence": "00000000000000000007",
        "data": {"marker_id": "m"},
    }


@given(st.integers(0, 10**18), st.integers(0, 10**18))
def test_sequence_text_orders_as_the_numbers_do(a: int, b: int) -> None:
    assert (sequence_text(a) < sequence_text(b)) == (a < b)


def test_a_marker_event_carries_no_reason_names_or_service_wording() -> None:
    data = marker_changed(EventType.MARKER_VARIED, _marker(), AT).data
    text = repr(data)
    for personal in ("shouted", "Smith", "Jones", "staff-1"):
        assert personal not in text
    assert data["marker_id"] == "3f1c6a2e-7a53-4f0e-9d6b-0c2d8f1b6a11"
    assert data["version"] == 2
    assert data["whole_council"] is False
    assert data["link"] == "/markers/3f1c6a2e-7a53-4f0e-9d6b-0c2d8f1b6a11"


def test_an_expiry_happens_at_the_markers_end_once_for_the_marker() -> None:
    occurrence = marker_expired(_marker())
    assert occurrence.type is EventType.MARKER_EXPIRED
    assert occurrence.at == datetime(2026, 8, 1, 11, 0, tzinfo=UTC)
    assert str(occurrence.once_for) == "3f1c6a2e-7a53-4f0e-9d6b-0c2d8f1b6a11"


def test_every_type_round_trips_through_its_cloudevents_name() -> None:
    for event_type in EventType:
        assert EventType.from_cloudevents_type(event_type.cloudevents_type) is event_type
