"""The decision-matrix check in process (issue 14: <= 20 µs), timed with timeit.

Enforcement runs it on every request, the hot reads included, so it is timed on its own: for
a spread of cases (allowed and refused, both profiles, per-kind actions and the reads), the
best of five runs per case, and the row reports the slowest case."""

from __future__ import annotations

import timeit
from typing import Any

from app.domain.policy.matrix import decide
from app.domain.policy.profile import load_profile
from app.domain.vocabulary import Action, MarkerKind, PolicyProfileName

TARGET_US = 20.0
CALLS = 20_000


def cases() -> list[tuple[str, tuple[Any, ...]]]:
    flintshire = load_profile(PolicyProfileName.FLINTSHIRE)
    wrexham = load_profile(PolicyProfileName.WREXHAM)
    return [
        ("reader reads", (flintshire, frozenset({"reader"}), Action.CHECK_CONTACT, None)),
        ("reader imposes (refused)", (flintshire, frozenset({"reader"}), Action.IMPOSE_MARKER,
                                      MarkerKind.CHANNEL_LIMIT)),
        ("team leader suspends", (flintshire, frozenset({"team_leader", "employee"}),
                                  Action.IMPOSE_MARKER, MarkerKind.TELEPHONE_SUSPENSION)),
        ("complaints lead lifts a quota", (wrexham, frozenset({"complaints_lead", "staff"}),
                                           Action.LIFT_MARKER, MarkerKind.CONTACT_QUOTA)),
        ("unknown roles (refused)", (wrexham, frozenset({"x", "y", "z"}), Action.READ_MARKER,
                                     None)),
        ("no roles (refused)", (wrexham, frozenset(), Action.RECORD_CONTACT, None)),
    ]  # fmt: skip


def matrix_row() -> dict[str, Any]:
    timings: dict[str, float] = {}
    for name, args in cases():
        best = min(timeit.repeat(lambda args=args: decide(*args), number=CALLS, repeat=5))
        timings[name] = best / CALLS * 1e6
    slowest = max(timings, key=lambda name: timings[name])
    worst = timings[slowest]
    return {
        "key": "matrix_check",
        "title": "Decision-matrix check in process",
        "kind": "in_process",
        "target": f"<= {TARGET_US:g} µs",
        "measured": f"{worst:.2f} µs",
        "met": worst <= TARGET_US,
        "per_case_us": {name: round(us, 3) for name, us in timings.items()},
        "note": f"slowest of {len(timings)} cases ({slowest}), best of 5 x {CALLS:,} calls; "
        f"mean {sum(timings.values()) / len(timings):.2f} µs",
    }
