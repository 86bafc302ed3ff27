"""Policy profiles: what differs between the two councils, as data (profiles/*.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from app.domain.vocabulary import MarkerKind, PolicyProfileName

_PROFILES = Path(__file__).parent / "profiles"


@dataclass(frozen=True)
class PolicyProfile:
    name: PolicyProfileName
    council: str
    telephone_suspension_default: timedelta | None
    review_within_months: int
    kinds: frozenset[MarkerKind]
    appeal_working_days: int


@cache
def load_profile(name: PolicyProfileName) -> PolicyProfile:
    raw = tomllib.loads((_PROFILES / f"{name.value}.toml").read_text(encoding="utf-8"))
    hours = int(raw["telephone_suspension_default_hours"])
    return PolicyProfile(
        name=PolicyProfileName(raw["name"]),
        council=str(raw["council"]),
        telephone_suspension_default=timedelta(hours=hours) if hours > 0 else None,
        review_within_months=int(raw["review_within_months"]),
        kinds=frozenset(MarkerKind(k) for k in raw["kinds"]),
        appeal_working_days=int(raw["appeal_working_days"]),
    )
