"""The limit: the fastest answer this stack can give.

A bare ASGI callable that answers every request with the same ~100-byte JSON body, served by
the same uvicorn with the same flags as `python -m app.cli serve` (uvloop, the service's
httptools protocol, no access log). It answers through plain ASGI: two sends, each header
checked by uvicorn, two writes. No routing, no framework, no database: whatever the real
service reaches is measured as a share of this.

Run: `PORT=8000 python -m bench.limit_app`.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = orjson.dumps(
    {
        "customer_ref": "C0000001",
        "channel": "phone",
        "outcome": "allow",
        "restricted": False,
        "markers": [],
    }
)
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ],
}
RESPONSE_BODY = {"type": "http.response.body", "body": BODY}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await send(START)
        await send(RESPONSE_BODY)
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def main() -> None:
    """The same uvicorn call as `app.cli serve` (app/cli.py `_serve`), with this app."""
    import logging

    import uvicorn

    from app.web.http_edges import UVICORN_OPTIONS

    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING").upper())
    uvicorn.run(
        "bench.limit_app:app",
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("PORT", "8000")),
        workers=int(os.environ.get("WEB_CONCURRENCY", "1")),
        loop="uvloop",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=20,
        # The service's own protocol: it offers the one-write answer
        # (app/web/whole_response.py), which this plain ASGI app does not take.
        **UVICORN_OPTIONS,
    )


if __name__ == "__main__":
    main()
