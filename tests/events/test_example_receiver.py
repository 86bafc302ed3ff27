"""examples/webhook_receiver.py, as documented, against the service: it verifies, dedupes
on webhook-id, ignores a stale redelivery, and ends with the CRM's view right."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path
from types import ModuleType

from tests.conftest import serve
from tests.events.test_delivery import EVENTS, customer_story
from tests.factories import marker

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_example_receiver_applies_each_event_once(clean_db: str) -> None:
    example = _example()
    async with serve(clean_db, **EVENTS) as service:
        placeholder = "whsec_" + "A" * 44
        server = example.serve(placeholder, port=0)
        created = await service.client.post(
            "/subscriptions",
            json={"url": f"http://127.0.0.1:{server.server_address[1]}/hooks"},
        )
        assert created.status_code == 201, created.text
        store = example.Store()
        server.RequestHandlerClass = example.handler(created.json()["secret"], store)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            await customer_story(service, "CRM-1")  # imposed ... lifted
            kept = await service.client.post(
                "/customers/CRM-1/markers", json=marker("read_and_file", additional=True)
            )
            for _ in range(200):
                if len(store.seen) == 6:
                    break
                await asyncio.sleep(0.05)
            assert len(store.seen) == 6
            # The first event again, as an admin's redelivery: a repeat, dropped.
            first = sorted(store.seen)[0]
            again = await service.client.post(
                f"/subscriptions/{created.json()['id']}/redeliveries", json={"event_id": first}
            )
            assert again.json() == {"queued": 1}
            log = f"/subscriptions/{created.json()['id']}/attempts"
            for _ in range(200):
                if len((await service.client.get(log)).json()["attempts"]) == 7:
                    break
                await asyncio.sleep(0.05)
        finally:
            server.shutdown()
            server.server_close()
    assert len(store.seen) == 6
    assert store.last_sequence == {"CRM-1": "00000000000000000006"}
    assert list(store.markers["CRM-1"]) == [kept.json()["id"]]
