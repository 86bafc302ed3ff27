"""What a correction may change: what the recorder wrote down, named as the step's request
names it, and only by whoever may record that step."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.decisions.schemas import CorrectedFields
from app.domain.lifecycle.corrections import CORRECTABLE, STEP_ACTIONS, correction_faults
from app.domain.lifecycle.faults import FaultCode
from app.domain.lifecycle.ladder import Step

FIELDS = sorted(CorrectedFields.model_fields)


def test_every_correctable_field_can_be_sent_and_every_field_sent_belongs_to_a_step() -> None:
    named = set().union(*CORRECTABLE.values())
    assert named == set(FIELDS)


def test_every_correctable_step_names_the_action_that_records_it() -> None:
    assert set(CORRECTABLE) == set(STEP_ACTIONS)


def test_reviews_and_appeals_are_changed_by_their_own_steps_not_corrected() -> None:
    for step in (Step.REVIEW, Step.APPEAL, Step.INCIDENT):
        [fault] = correction_faults(step, ["reasons"])
        assert fault.code is FaultCode.NOT_CORRECTABLE and fault.related == ()


@given(st.sampled_from(sorted(CORRECTABLE)), st.lists(st.sampled_from(FIELDS), unique=True))
def test_a_field_is_refused_exactly_when_its_step_does_not_record_it(
    step: Step, fields: list[str]
) -> None:
    faults = correction_faults(step, fields)
    if not fields:
        assert [f.code for f in faults] == [FaultCode.REQUIRED]
        return
    refused = {f.field.removeprefix("details.") for f in faults}
    assert refused == {f for f in fields if f not in CORRECTABLE[step]}
    assert all(f.related == tuple(sorted(CORRECTABLE[step])) for f in faults)
