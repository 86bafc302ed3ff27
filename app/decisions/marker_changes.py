"""Changing a decision's markers from a later record: a review's variations and lifts, an
appeal's varied or overturned outcome.

Every change goes through app/restrictions/service.py, as a direct variation or lift
would, in the caller's transaction: a marker change refused leaves nothing recorded. So the
rules of a direct change hold here too, least restrictive among them: a variation may not be
what closes the customer's last inbound line (app/restrictions `vary_marker`). The caller
names the action the change is judged under: a review varies and lifts under the matrix's
vary_marker and lift_marker rules, an appeal under decide_appeal."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ActionContext
from app.domain.markers import Marker
from app.domain.policy.profile import PolicyProfile
from app.domain.vocabulary import Action, MarkerStatus
from app.problems import InvalidParam, ProblemError
from app.restrictions import service as restrictions
from app.restrictions.schemas import LiftMarker, VaryMarker


@dataclass(frozen=True, slots=True)
class Changed:
    """One marker before and after a change."""

    before: Marker
    after: Marker


def variation_faults(
    marker_ids: Sequence[uuid.UUID], own: Collection[Marker], not_own: str
) -> dict[int, InvalidParam]:
    """Per variation (by its place in `body.variations`), why it may not be made: its marker
    is not one the decision imposed (`not_own` says so in the caller's words), or it was
    given already."""
    imposed = {uuid.UUID(m.id) for m in own}
    faults: dict[int, InvalidParam] = {}
    seen: set[uuid.UUID] = set()
    for index, marker_id in enumerate(marker_ids):
        name = f"body.variations.{index}.marker_id"
        if marker_id not in imposed:
            faults[index] = InvalidParam(name=name, reason=not_own)
        elif marker_id in seen:
            faults[index] = InvalidParam(name=name, reason="give each marker once")
        seen.add(marker_id)
    return faults


def standing(marker: Marker, now: datetime) -> bool:
    """Still restricting or yet to: neither lifted nor ended."""
    return marker.status(now) in (MarkerStatus.ACTIVE, MarkerStatus.SCHEDULED)


async def vary(
    session: AsyncSession,
    context: ActionContext,
    under: Action,
    profile: PolicyProfile,
    marker_id: uuid.UUID,
    body: VaryMarker,
    now: datetime,
    *,
    index: int | None,
) -> Marker:
    """Vary one marker through app/restrictions, on behalf of whom the body says. A fault of
    the body the request gave (at `index` of `body.variations`), its on_behalf_of among
    them, is named where it is in the request."""
    try:
        varying = replace(context, action=under).acting_for(body.on_behalf_of)
        return await restrictions.vary_marker(session, varying, profile, marker_id, body, now)
    except ProblemError as error:
        raise (renamed(error, f"body.variations.{index}") if index is not None else error) from None


async def lift_standing(
    session: AsyncSession,
    context: ActionContext,
    under: Action,
    markers: Sequence[Marker],
    reason: str,
    now: datetime,
) -> list[Changed]:
    """Lift each of `markers` still standing, in the order given; the ones already lifted
    or ended are left as they are."""
    lifting = replace(context, action=under)
    changed: list[Changed] = []
    for marker in markers:
        if not standing(marker, now):
            continue
        lifted = await restrictions.lift_marker(
            session, lifting, uuid.UUID(marker.id), LiftMarker(reason=reason), now
        )
        changed.append(Changed(marker, lifted))
    return changed


def renamed(error: ProblemError, where: str) -> ProblemError:
    """A marker body's fault, named where the body is in the request (`where`, as
    `body.variations.0`) rather than as the direct route would name it."""
    if error.invalid_params:
        for param in error.invalid_params:
            if param.name.startswith("body."):
                param.name = f"{where}.{param.name[len('body.') :]}"
        error.detail = "; ".join(f"{p.name}: {p.reason}" for p in error.invalid_params)
    return error
