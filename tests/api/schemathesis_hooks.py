"""Schemathesis hooks (SCHEMATHESIS_HOOKS) for tests/api/test_schemathesis.py."""

from __future__ import annotations

from typing import Any

import schemathesis

# Rules JSON Schema cannot state (an end still to come, a review date within six months of
# today) are written in the operations' descriptions and answered as policy-violation. Every other refusal of a request the spec allows means the
# spec and the server disagree.
_DESCRIBED = "urn:contact-restrictions:problem:policy-violation"
# Validation rules across fields, stated in the schema's descriptions: a window's start and
# end differ; a variation's details suit the kind of the marker varied (not in the body).
_CROSS_FIELD = ("a window needs different start and end times",)
# Validation rules relative to the moment of the request, stated in the descriptions: `at`
# at most 31 days back; a contact not recorded before it happens. (field, reason's start)
_RELATIVE_TO_NOW = (
    ("query.at", "at most 31 days back"),
    ("body.occurred_at", "is in the future"),
    ("body.police_reported_at", "is in the future"),
    ("body.at", "at most 31 days back"),
    ("body.sent_on", "is in the future"),
)
# Validation rules about what is recorded, stated in the descriptions: a step of the ladder
# links incidents recorded for that customer (the fuzzer cannot know their ids).
# A worklist's cursor is one the list gave (the fuzzer cannot know one).
_ABOUT_THE_RECORD = (
    ("body.incident_ids.", "is not an incident recorded for this customer"),
    ("query.cursor", "is not a cursor this list gave: start again without it"),
)
# Validation rules about who calls, stated in the descriptions: a machine client records an
# incident for a member of staff it names (the fuzzer calls as a machine client).
_ABOUT_THE_CALLER = (("body.on_behalf_of", "a machine client records an incident for"),)


def _relative_to_now(param: dict[str, str]) -> bool:
    return any(
        param["name"] == name and param["reason"].startswith(reason)
        for name, reason in (*_RELATIVE_TO_NOW, *_ABOUT_THE_CALLER)
    )


def _about_the_record(param: dict[str, str]) -> bool:
    return any(
        param["name"].startswith(prefix) and param["reason"] == reason
        for prefix, reason in _ABOUT_THE_RECORD
    )


# The Idempotency-Key parameter's description: a key reused for another request is 422
# (the fuzzer sends the same example key with many bodies).
_KEY_REUSED = "urn:contact-restrictions:problem:idempotency-key-reused"


def _described(response: Any, path: str) -> bool:
    problem = response.json()
    if problem.get("type") in (_DESCRIBED, _KEY_REUSED):
        return True
    params = problem.get("invalid_params") or []
    return bool(params) and all(
        p["reason"] in _CROSS_FIELD
        or _relative_to_now(p)
        or _about_the_record(p)
        or (path.endswith("/variations") and p["name"].startswith("body.details"))
        # A review's variation of a marker: its details suit the marker's kind, as above.
        or (path.endswith("/reviews") and p["name"].startswith("body.variations."))
        for p in params
    )


@schemathesis.check
def schema_valid_requests_are_not_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    if generation is None or not generation.mode.is_positive:
        return None
    if response.status_code in (400, 415) or (
        response.status_code == 422 and not _described(response, case.path)
    ):
        raise AssertionError(
            f"A request the spec allows was refused: {response.status_code} {response.text[:500]}"
        )
    return None
