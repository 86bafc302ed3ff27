"""The pure parts of changing a decision's markers from a review or an appeal
(app/decisions/marker_changes.py): which variations are refused before anything is locked,
which markers a lift still has to end, and how a marker body's fault is named in the
request that carried it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from app.decisions.marker_changes import renamed, standing, variation_faults
from app.domain.details import TelephoneSuspensionDetails
from app.domain.markers import Marker
from app.domain.vocabulary import MarkerKind
from app.problems import InvalidParam, ProblemError

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOT_OWN = "is not a marker this formal decision imposed"


def _marker(
    *, start: timedelta = timedelta(0), end: timedelta | None = None, lifted: bool = False
) -> Marker:
    return Marker(
        id=str(uuid.uuid4()),
        customer_ref="CUST-1",
        kind=MarkerKind.TELEPHONE_SUSPENSION,
        details=TelephoneSuspensionDetails(),
        starts_at=AT + start,
        ends_at=None if end is None else AT + end,
        review_due=date(2026, 6, 1),
        services=None,
        reason="Test.",
        created_by="ccsm-1",
        created_at=AT - timedelta(days=1),
        version=1,
        lifted_at=AT - timedelta(hours=1) if lifted else None,
    )


def test_a_variation_of_a_marker_the_decision_did_not_impose_is_named_by_its_place() -> None:
    own = _marker()
    stranger = uuid.uuid4()
    faults = variation_faults([uuid.UUID(own.id), stranger], [own], NOT_OWN)
    assert faults == {
        1: InvalidParam(name="body.variations.1.marker_id", reason=NOT_OWN),
    }


def test_a_marker_given_twice_is_refused_at_its_second_mention_only() -> None:
    own = _marker()
    mentioned = uuid.UUID(own.id)
    faults = variation_faults([mentioned, mentioned, mentioned], [own], NOT_OWN)
    assert sorted(faults) == [1, 2]
    assert {p.reason for p in faults.values()} == {"give each marker once"}


def test_variations_each_of_its_own_markers_once_are_all_allowed() -> None:
    markers = [_marker(), _marker(), _marker()]
    assert variation_faults([uuid.UUID(m.id) for m in reversed(markers)], markers, NOT_OWN) == {}


def test_only_a_marker_neither_lifted_nor_ended_is_still_standing() -> None:
    assert standing(_marker(), AT)
    assert standing(_marker(start=timedelta(days=1)), AT), "scheduled still restricts later"
    assert not standing(_marker(lifted=True), AT)
    assert not standing(_marker(start=-timedelta(days=2), end=-timedelta(days=1)), AT)
    assert not standing(_marker(end=timedelta(0)), AT), "it ends at that very instant"


def test_a_marker_body_fault_is_named_where_the_body_is_in_the_request() -> None:
    error = ProblemError(
        422,
        "validation-error",
        "Your request is not valid.",
        "body.ends_at: is in the past",
        invalid_params=[
            InvalidParam(name="body.ends_at", reason="is in the past"),
            InvalidParam(name="channels.phone", reason="closed for good"),
        ],
    )
    named = renamed(error, "body.variations.2")
    assert [p.name for p in named.invalid_params or []] == [
        "body.variations.2.ends_at",
        "channels.phone",
    ]
    assert named.detail == (
        "body.variations.2.ends_at: is in the past; channels.phone: closed for good"
    )
