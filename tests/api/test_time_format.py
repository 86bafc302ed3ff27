"""One time format (README "Times"): every instant in every response is ISO 8601, whole
seconds, with the offset Europe/London had at that instant; dates are YYYY-MM-DD."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.policy.profile import load_profile
from app.domain.policy.terms import latest_review_date
from app.domain.time.london import LONDON
from app.settings import PolicyProfileName
from tests.conftest import Service
from tests.factories import marker

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
DATE = re.compile(r"\d{4}-\d\d-\d\d")
FLINTSHIRE = load_profile(PolicyProfileName.FLINTSHIRE)

# The clock changes of a few years (01:00 UTC on the last Sunday of March and October),
# where a wrong offset would show.
CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2027, 3, 28, 1, tzinfo=UTC),
    datetime(2027, 10, 31, 1, tzinfo=UTC),
    datetime(2028, 3, 26, 1, tzinfo=UTC),
]
near_a_change = st.builds(
    lambda change, seconds: change + timedelta(seconds=seconds),
    st.sampled_from(CHANGES),
    st.integers(min_value=-3 * 3600, max_value=3 * 3600),
)
anywhere = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)
instants = st.one_of(near_a_change, anywhere)


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def instants_in(body: Any) -> dict[str, str]:
    """Every string that looks like a time, checked: London's offset, whole seconds."""
    found: dict[str, str] = {}
    for path, text in strings(body):
        if not re.match(r"\d{4}-\d\d-\d\dT", text):
            continue
        assert INSTANT.fullmatch(text), (path, text)
        written = datetime.fromisoformat(text)
        assert written.utcoffset() == written.astimezone(LONDON).utcoffset(), (path, text)
        found[path] = text
    return found


def assert_dates(body: Any) -> None:
    for path, text in strings(body):
        if path.endswith(("review_due", "signed_on")) and text:
            assert DATE.fullmatch(text), (path, text)


def assert_epochs(flat: dict[str, str]) -> None:
    for name in ("at", "as_of", "next_allowed_at"):
        if flat[name]:
            assert int(datetime.fromisoformat(flat[name]).timestamp()) == int(flat[f"{name}_epoch"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(now=instants, start_in=st.integers(0, 48 * 3600), lasts=st.integers(1, 72 * 3600))
async def test_every_instant_in_every_response_is_london_iso_8601(
    service: Service, now: datetime, start_in: int, lasts: int
) -> None:
    service.clock.fixed = now
    ref = f"T-{uuid.uuid4().hex[:12]}"
    client = service.client
    starts = now + timedelta(seconds=start_in)
    ends = starts + timedelta(seconds=lasts)
    review = latest_review_date(FLINTSHIRE, now).isoformat()

    seen: dict[str, str] = {}
    suspension = await client.post(
        f"/customers/{ref}/markers",
        json=marker(
            "telephone_suspension",
            # Sent in UTC with a fraction: what comes back is London time, whole seconds.
            starts_at=starts.replace(microsecond=0).isoformat().replace("+00:00", ".25Z"),
            ends_at=ends.isoformat(),
        ),
    )
    assert suspension.status_code == 201, suspension.text
    written = suspension.json()
    seen |= instants_in(written)
    schedule = await client.post(
        f"/customers/{ref}/markers", json=marker("telephone_schedule", review_due=review)
    )
    assert schedule.status_code == 201, schedule.text
    seen |= instants_in(schedule.json())
    assert_dates(schedule.json())
    contact = await client.post(
        f"/customers/{ref}/contacts",
        json={
            "channel": "email",
            "occurred_at": (now - timedelta(hours=2)).isoformat(),
        },
    )
    assert contact.status_code == 201, contact.text
    seen |= {f"contact{k}": v for k, v in instants_in(contact.json()).items()}

    read = (await client.get(f"/customers/{ref}/restrictions")).json()
    seen |= {f"read{k}": v for k, v in instants_in(read).items()}
    everything = (await client.get(f"/customers/{ref}/restrictions?include=all")).json()
    seen |= {f"all{k}": v for k, v in instants_in(everything).items()}
    check = (await client.get(f"/customers/{ref}/contact-check?channel=phone")).json()
    seen |= {f"check{k}": v for k, v in instants_in(check).items()}
    flat = (await client.get(f"/customers/{ref}/contact-check?channel=phone&format=flat")).json()
    seen |= {f"flat{k}": v for k, v in instants_in(flat).items()}
    assert_epochs(flat)
    batch = (
        await client.post("/contact-checks", json={"channel": "phone", "customer_refs": [ref]})
    ).json()
    seen |= {f"batch{k}": v for k, v in instants_in(batch).items()}

    varied = await client.post(
        f"/markers/{written['id']}/variations",
        json={"ends_at": (ends + timedelta(hours=1)).isoformat(), "reason": "r"},
    )
    assert varied.status_code == 200, varied.text
    seen |= {f"varied{k}": v for k, v in instants_in(varied.json()).items()}
    lifted = await client.post(f"/markers/{written['id']}/lift", json={"reason": "r"})
    assert lifted.status_code == 200, lifted.text
    seen |= {f"lifted{k}": v for k, v in instants_in(lifted.json()).items()}
    one = (await client.get(f"/markers/{written['id']}")).json()
    seen |= {f"one{k}": v for k, v in instants_in(one).items()}
    ready = (await client.get("/readyz")).json()
    seen |= {f"ready{k}": v for k, v in instants_in(ready).items()}

    # Nothing was missed for want of a time to look at.
    for where in (
        ".starts_at",
        ".created_at",
        "contact.occurred_at",
        "contact.recorded_at",
        "read.as_of",
        "check.at",
        "check.as_of",
        "flat.at",
        "batch.at",
        "lifted.lifted_at",
        "one.history[0].recorded_at",
        "one.history[0].state.starts_at",
        "one.history[2].state.lifted_at",
        "ready.as_of",
    ):
        assert where in seen, where

    # One instant is written the same way by every response that carries it.
    shown = starts.replace(microsecond=0).astimezone(LONDON).isoformat()
    assert written["starts_at"] == shown
    assert written["created_at"] == now.replace(microsecond=0).astimezone(LONDON).isoformat()
    assert seen["all.markers[0].starts_at"] == shown or seen["all.markers[1].starts_at"] == shown
    assert one["starts_at"] == varied.json()["starts_at"] == lifted.json()["starts_at"] == shown
    assert [h["state"]["starts_at"] for h in one["history"]] == [shown] * 3
    assert one["history"][0]["state"]["created_at"] == written["created_at"]
    assert one["history"][2]["recorded_at"] == lifted.json()["lifted_at"]
    assert check["at"] == flat["at"] == batch["at"]


async def test_the_reads_and_the_writes_write_a_marker_alike(service: Service) -> None:
    """The finding: writes and GET /markers/{id} said `…Z`, the two reads `…+00:00`."""
    service.clock.fixed = datetime(2026, 11, 24, 12, tzinfo=UTC)
    created = await service.client.post(
        "/customers/C1/markers",
        json=marker(
            "channel_limit",
            starts_at="2026-11-24T12:00:00Z",
            ends_at="2027-06-01T10:00:00Z",
            review_due="2027-05-01",
        ),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["starts_at"] == "2026-11-24T12:00:00+00:00"
    assert body["ends_at"] == "2027-06-01T11:00:00+01:00"
    read = (await service.client.get("/customers/C1/restrictions")).json()["markers"][0]
    one = (await service.client.get(f"/markers/{body['id']}")).json()
    for key in ("starts_at", "ends_at", "created_at"):
        assert body[key] == read[key] == one[key] == one["history"][0]["state"][key]
