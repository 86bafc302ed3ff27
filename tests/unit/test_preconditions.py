"""If-Match as RFC 9110 reads it: strong comparison, a list, or `*`."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.preconditions import entity_tag, parse_if_match


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_a_tag_matches_its_own_version_only(read: int, latest: int) -> None:
    assert parse_if_match(entity_tag(read)).matches(latest) is (read == latest)


@given(st.lists(st.integers(1, 1000), min_size=1), st.integers(1, 1000))
def test_a_list_matches_any_version_it_names(read: list[int], latest: int) -> None:
    header = ", ".join(entity_tag(v) for v in read)
    assert parse_if_match(header).matches(latest) is (latest in read)


def test_weak_foreign_and_malformed_tags_never_match_and_star_always_does() -> None:
    for header in ('W/"v1"', '"1"', "v1", '"v1', "", '"v-1"', '"v\uff11"'):
        assert not parse_if_match(header).matches(1), header
    assert parse_if_match(" * ").matches(7)
