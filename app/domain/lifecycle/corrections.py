"""Corrections (docs/domain.md: decision-lifecycle, the case file): a record is never changed
in place; a correction is its next version, naming who corrected it and why. What may be
corrected is what the person recording the step wrote down. What the service worked out
(a referral's recipient, a notice's appeal deadline), what the step did (its markers,
incidents, review date) and the notice as it was sent stay as recorded: those change only
by the steps that change them (a variation, a review, an appeal)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from app.domain.lifecycle.faults import Fault, FaultCode
from app.domain.lifecycle.ladder import Step
from app.domain.vocabulary import Action

_APPENDIX_1_WRITTEN = frozenset(
    {
        "customer_name",
        "contact_officer",
        "reason_for_referral",
        "action_to_date",
        "particular_needs",
        "adjustments_sought",
    }
)

CORRECTABLE: Final[Mapping[Step, frozenset[str]]] = MappingProxyType(
    {
        Step.CALL_WARNING: frozenset({"occurred_at"}),
        Step.TERMINATED_CALL: frozenset({"occurred_at"}),
        Step.TELEPHONE_RESTRICTION: frozenset({"reason"}),
        Step.WARNING_LETTER: frozenset({"sent_on", "policy_copy_enclosed"}),
        Step.REFERRAL: frozenset({"reason"}),
        Step.CHIEF_OFFICER_REFERRAL: _APPENDIX_1_WRITTEN,
        Step.FORMAL_DECISION: frozenset(
            {"reasons", "duration", "adjustments_decision", "advocacy_decision", "particular_needs"}
        ),
    }
)


# Correcting a record takes the role that may record its step.
STEP_ACTIONS: Final[Mapping[Step, Action]] = MappingProxyType(
    {
        Step.CALL_WARNING: Action.RECORD_CALL_WARNING,
        Step.TERMINATED_CALL: Action.TERMINATE_CALL,
        Step.TELEPHONE_RESTRICTION: Action.RESTRICT_TELEPHONE,
        Step.WARNING_LETTER: Action.SEND_WARNING_LETTER,
        Step.REFERRAL: Action.REFER,
        Step.CHIEF_OFFICER_REFERRAL: Action.REFER_TO_CHIEF_OFFICER,
        Step.FORMAL_DECISION: Action.MAKE_FORMAL_DECISION,
    }
)


def correction_faults(step: Step, fields: Iterable[str]) -> tuple[Fault, ...]:
    """Which of `fields` a correction of a `step` record may not change (each as a fault
    naming the fields it may), and a fault when it changes nothing at all."""
    allowed = CORRECTABLE.get(step, frozenset())
    given = list(fields)
    if not given:
        return (Fault("details", FaultCode.REQUIRED, tuple(sorted(allowed))),)
    return tuple(
        Fault(f"details.{name}", FaultCode.NOT_CORRECTABLE, tuple(sorted(allowed)))
        for name in given
        if name not in allowed
    )
