"""The kept answer parts are bounded without ever being emptied at once: a full cache drops
only its oldest sixteenth, so the answers asked most recently stay quick."""

from __future__ import annotations

from app.reads import answers


def test_a_full_cache_drops_only_its_oldest_entries() -> None:
    cache = {n: str(n) for n in range(1_000)}
    cache[5] = "kept again"  # replacing an entry keeps its place
    answers._evict_oldest(cache, 1_000 // 16)
    assert len(cache) == 1_000 - 62
    assert min(cache) == 62 and max(cache) == 999
    assert 5 not in cache
    answers._evict_oldest(cache, 62)
    assert min(cache) == 124  # the next oldest, past the space the first eviction left
