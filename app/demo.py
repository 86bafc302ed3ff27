"""Demo customers and markers for `make run`, recorded through the same service functions
as the API. Idempotent: a demo marker still in force is left alone, and one that has
ended (or was lifted) is imposed again, so the README's examples answer alike any day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import or_, select

from app.auth import Action, system_context
from app.domain.policy.profile import PolicyProfile
from app.domain.policy.terms import latest_review_date
from app.domain.time.clock import utcnow
from app.domain.vocabulary import Language, MarkerKind
from app.persistence.db import Database, unit_of_work
from app.persistence.tables import MarkerRow
from app.restrictions import service
from app.restrictions.schemas import CustomerPreferences, ImposeMarker

_IMPOSE = TypeAdapter(ImposeMarker)


def _demo_markers(review_due: date, now: datetime) -> list[tuple[str, str | None, dict[str, Any]]]:
    review = review_due.isoformat()
    return [
        (
            "DEMO-SUSPENDED",
            "en",
            {
                "kind": "telephone_suspension",
                "reason": "Abusive language continued after a terminated call.",
                "ends_at": (now + timedelta(hours=20)).isoformat(),
            },
        ),
        (
            "DEMO-SCHEDULE",
            "cy",
            {
                "kind": "telephone_schedule",
                "details": {
                    "windows": [
                        {"days": ["tuesday", "thursday"], "start": "10:00", "end": "12:00"}
                    ],
                    "max_call_minutes": 15,
                },
                "review_due": review,
                "reason": "Excessive calls to several teams.",
            },
        ),
        (
            "DEMO-EMAIL-ONLY",
            None,
            {
                "kind": "channel_limit",
                "details": {"channels": ["email", "letter"]},
                "services": ["Housing"],
                "review_due": review,
                "reason": "Threatening behaviour at the housing office.",
            },
        ),
        (
            "DEMO-SPOC",
            "en",
            {
                "kind": "single_point_of_contact",
                "details": {
                    "officer_id": "EMP-1042",
                    "name": "Alex Jones",
                    "phone": "01352 702000",
                    "email": "alex.jones@example.gov.uk",
                },
                "review_due": review,
                "reason": "Contacting many officers about the same matter.",
            },
        ),
        (
            "DEMO-SPOC",
            "en",
            {
                "kind": "read_and_file",
                "review_due": review,
                "reason": "Repeated correspondence on a closed complaint with no new information.",
            },
        ),
        (
            "DEMO-CONTRACT",
            None,
            {
                "kind": "behaviour_contract",
                "details": {
                    "terms": "Calls will be courteous; no more than one email a day.",
                    "signed_on": (now.date() - timedelta(days=10)).isoformat(),
                },
                "review_due": review,
                "reason": "Agreed after a formal warning.",
            },
        ),
        (
            "DEMO-SOCIAL",
            None,
            {
                "kind": "social_media_block",
                "details": {
                    "platform": "Facebook",
                    "account": "@demo_account",
                    "posts": [{"description": "Post naming an employee with abusive remarks."}],
                },
                "review_due": review,
                "reason": "Abuse of an employee on social media (Appendix 2).",
            },
        ),
        # Wrexham only: the profile decides whether a quota can be imposed.
        (
            "DEMO-QUOTA",
            None,
            {
                "kind": "contact_quota",
                "details": {"channel": "phone", "limit": 3, "period": "week"},
                "review_due": review,
                "reason": "Excessive calls.",
            },
        ),
    ]


# Who the demo records name as having imposed them.
DEMO_SUBJECT = "demo-data"


async def seed_demo(database: Database, profile: PolicyProfile) -> int:
    """Returns how many markers were added (0 when the demo data is already there)."""
    now = utcnow()
    context = system_context(Action.IMPOSE_MARKER, profile, DEMO_SUBJECT)
    added = 0
    wanted = _demo_markers(latest_review_date(profile, now) - timedelta(days=1), now)
    async with unit_of_work(database) as session:
        # What is still in force: the demo suspension ends within a day, and the demo data
        # outlives it between runs, so a later `make run` imposes it again.
        in_force = {
            (ref, kind)
            for ref, kind in (
                await session.execute(
                    select(MarkerRow.customer_ref, MarkerRow.kind).where(
                        MarkerRow.customer_ref.like("DEMO-%"),
                        MarkerRow.lifted_at.is_(None),
                        or_(MarkerRow.ends_at.is_(None), MarkerRow.ends_at > now),
                    )
                )
            ).all()
        }
        for ref, language, raw in wanted:
            if (ref, raw["kind"]) in in_force:
                continue
            command = _IMPOSE.validate_python(raw)
            if MarkerKind(command.kind) not in profile.kinds:
                continue
            await service.impose_marker(session, context, profile, ref, command, now)
            if language is not None:
                await service.set_preferences(
                    session,
                    context,
                    ref,
                    CustomerPreferences(preferred_language=Language(language)),
                    now,
                )
            added += 1
    return added
