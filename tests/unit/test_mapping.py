"""How times are written in the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.time.london import LONDON
from app.reads.marker_json import iso

instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2199, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=2000)
@given(instants)
def test_times_are_london_iso_8601_with_offset(instant: datetime) -> None:
    assert iso(instant) == instant.replace(microsecond=0).astimezone(LONDON).isoformat()


def test_clock_change_hours_are_written_with_the_right_offset() -> None:
    change = datetime(2026, 10, 25, 1, tzinfo=UTC)  # 02:00 BST becomes 01:00 GMT
    assert iso(change - timedelta(seconds=1)) == "2026-10-25T01:59:59+01:00"
    assert iso(change) == "2026-10-25T01:00:00+00:00"
    assert iso(datetime(2026, 3, 29, 1, tzinfo=UTC)) == "2026-03-29T02:00:00+01:00"


def test_kept_marker_serialisation_is_the_marker_json() -> None:
    import orjson

    from app.domain.details import ChannelLimitDetails
    from app.domain.markers import Marker
    from app.domain.vocabulary import Channel, MarkerKind
    from app.reads.marker_json import marker_bytes, marker_json

    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    marker = Marker(
        id="m-1",
        customer_ref="C1",
        kind=MarkerKind.CHANNEL_LIMIT,
        details=ChannelLimitDetails(channels=(Channel.EMAIL,)),
        starts_at=start,
        ends_at=start + timedelta(days=3),
        review_due=None,
        services=("Housing",),
        reason="r",
        created_by="X",
        created_at=start,
        version=1,
    )
    for now in (start - timedelta(hours=1), start, start + timedelta(days=5)):
        assert marker_bytes(marker, now) == orjson.dumps(marker_json(marker, now))
