"""Schemathesis hooks (SCHEMATHESIS_HOOKS) for tests/api/test_schemathesis.py."""

from __future__ import annotations

from typing import Any

import schemathesis

# Rules JSON Schema cannot state (an end still to come, a contact not in the future, a
# review date within six months of today) are written in the operations' descriptions and
# answered as policy-violation. Every other refusal of a request the spec allows means the
# spec and the server disagree.
_DESCRIBED = "urn:contact-restrictions:problem:policy-violation"


@schemathesis.check
def schema_valid_requests_are_not_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    if generation is None or not generation.mode.is_positive:
        return None
    if response.status_code in (400, 415) or (
        response.status_code == 422 and response.json().get("type") != _DESCRIBED
    ):
        raise AssertionError(
            f"A request the spec allows was refused: {response.status_code} {response.text[:500]}"
        )
    return None
