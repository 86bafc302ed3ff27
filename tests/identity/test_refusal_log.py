"""A refusal (403) is logged the first time a subject meets a rule, then at most once a
minute for that pair, saying how many went unlogged: a client retrying what it may not do
cannot flood the logs."""

from __future__ import annotations

import logging

import pytest

from app.auth import RefusalLog
from tests.conftest import Service
from tests.factories import marker


def test_the_first_refusal_is_logged_then_one_line_a_minute_with_the_count() -> None:
    clock = [0.0]
    log = RefusalLog(interval=60.0, now=lambda: clock[0])
    assert log.due("s1", "impose_marker") == 0
    assert [log.due("s1", "impose_marker") for _ in range(5)] == [None] * 5
    assert log.due("s2", "impose_marker") == 0  # another subject: its own first line
    assert log.due("s1", "lift_marker") == 0  # another rule: its own first line
    clock[0] = 59.9
    assert log.due("s1", "impose_marker") is None
    clock[0] = 60.0
    assert log.due("s1", "impose_marker") == 6  # the refusals not logged since
    assert log.due("s1", "impose_marker") is None


async def test_a_reader_refused_again_and_again_is_logged_once(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    reader = service.bearer("reader", subject="crm-misconfigured")
    caplog.set_level(logging.INFO, logger="app.auth")
    for _ in range(5):
        refused = await service.client.post(
            "/customers/C1/markers", json=marker("channel_limit"), headers=reader
        )
        assert refused.status_code == 403
    lines = [r.getMessage() for r in caplog.records if "crm-misconfigured" in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("refused ") and "reader" in lines[0]
