"""A webhook receiver for the contact-restrictions events, as a CRM would write one.

    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py  # listens on :9000

Subscribe it (the admin role; `make run` allows http and loopback in development):

    curl -s -X POST localhost:8000/subscriptions -H "Authorization: Bearer $ADMIN" \\
      -H 'content-type: application/json' -d '{"url": "http://127.0.0.1:9000/hooks"}'

and start it with the `secret` that answer shows (once).

What it does with each delivery, in this order:

1. Verifies the signature with the `standardwebhooks` library: the HMAC over
   "{webhook-id}.{webhook-timestamp}.{body}" with the secret, and a timestamp within five
   minutes. During a secret rotation the service signs with both secrets; either verifies.
   A delivery that does not verify is answered 400 and never applied.
2. Drops a repeat: the service delivers at least once (a timeout after the receiver took
   the event means it comes again), always with the same `webhook-id`, the event's id.
3. Applies the event to the customer's record unless the customer already has a later one:
   events come in `sequence` order per customer, but an admin's redelivery of an old event
   can arrive after later ones, and a stale event must not undo a newer state.
4. Answers 2xx only once the event is safely kept. Anything else is retried.

Here "kept" is a dict in memory; a real receiver writes the webhook-id and the customer's
last sequence in the same transaction as the change it makes (its own outbox, in effect).
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MAX_BODY = 1_048_576


class Store:
    """What the receiver has applied: the webhook-ids seen and, per customer, the last
    sequence applied and what the CRM shows."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: set[str] = set()
        self.last_sequence: dict[str, str] = {}
        self.markers: dict[str, dict[str, dict[str, Any]]] = {}

    def apply(self, message_id: str, event: dict[str, Any]) -> str:
        with self.lock:
            if message_id in self.seen:
                return "duplicate"
            self.seen.add(message_id)
            customer = event["subject"]
            # Zero-padded: comparing the strings compares the numbers.
            if event["sequence"] <= self.last_sequence.get(customer, ""):
                return "stale"
            self.last_sequence[customer] = event["sequence"]
            data = event["data"]
            kind = event["type"].removeprefix("contactrestrictions.")
            markers = self.markers.setdefault(customer, {})
            if kind in ("marker.imposed", "marker.varied"):
                markers[data["marker_id"]] = data
            elif kind in ("marker.lifted", "marker.expired"):
                markers.pop(data["marker_id"], None)
            # decision.recorded, incident.recorded, customer.preferences_changed: a CRM
            # would flag the case file; `data.link` is the resource to read, with its token.
            return "applied"


def handler(secret: str, store: Store) -> type[BaseHTTPRequestHandler]:
    webhook = Webhook(secret)

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._answer(413)
                return
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                # Raises unless one of the signatures verifies and the timestamp is recent.
                event = webhook.verify(body, headers)
            except WebhookVerificationError:
                self._answer(400)
                return
            outcome = store.apply(headers["webhook-id"], event)
            print(f"{outcome}: {event['type']} {event['subject']} #{int(event['sequence'])}")
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the line printed above is enough; never log bodies

    return Receiver


def serve(secret: str, host: str = "127.0.0.1", port: int = 9000) -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, port), handler(secret, Store()))


if __name__ == "__main__":
    server = serve(os.environ["WEBHOOK_SECRET"], port=int(os.environ.get("PORT", "9000")))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/hooks")
    server.serve_forever()
