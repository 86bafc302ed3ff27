"""Policy profiles: what differs between the two councils, as data (profiles/*.toml)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from app.domain.policy.access import AccessPolicy, ProfileError, parse_access
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
    # Who may do what: the roles, their seniority and the decision matrix (policy/matrix.py).
    # Left out of equality and hashing (it holds dicts), so a profile stays usable as a key.
    access: AccessPolicy = field(compare=False)
    # A digest of the profile's data: every record is stamped with it, so that the rules a
    # decision was judged under stay identifiable after the profile is edited.
    version: str = field(default="", compare=False)


def parse_profile(raw: Mapping[str, Any], source: str) -> PolicyProfile:
    """A profile from its TOML data; `source` names the file in any ProfileError."""
    kinds: set[MarkerKind] = set()
    for kind in raw["kinds"]:
        try:
            kinds.add(MarkerKind(kind))
        except ValueError:
            raise ProfileError(f"{source}: kinds: unknown marker kind {kind!r}") from None
    hours = int(raw["telephone_suspension_default_hours"])
    return PolicyProfile(
        name=PolicyProfileName(raw["name"]),
        council=str(raw["council"]),
        telephone_suspension_default=timedelta(hours=hours) if hours > 0 else None,
        review_within_months=int(raw["review_within_months"]),
        kinds=frozenset(kinds),
        appeal_working_days=int(raw["appeal_working_days"]),
        access=parse_access(raw.get("roles"), raw.get("matrix"), frozenset(kinds), source),
        version=data_version(raw),
    )


def data_version(raw: Mapping[str, Any]) -> str:
    """The same for the same data whatever the file's comments or layout; different when
    any value changes."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@cache
def load_profile(name: PolicyProfileName) -> PolicyProfile:
    path = _PROFILES / f"{name.value}.toml"
    return parse_profile(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
