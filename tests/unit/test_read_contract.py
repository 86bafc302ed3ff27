"""The read contract (app/reads/contract.py) is the one source: the OpenAPI, the routes,
the fast layer and the metrics all say what it says."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.reads.contract import (
    READS,
    UNLOGGED_ROUTES,
    ReadOperation,
    default_at,
)
from app.reads.fastpath import FastReads
from tests.api.test_openapi import COMMITTED
from tests.conftest import Service, full_access

# A valid value for every parameter any read accepts, in the plain form the fast layer
# answers itself.
PLAIN = {
    "include": "current",
    "service": "Housing",
    "channel": "phone",
    "at": "2026-11-24T11:00:00Z",
    "direction": "outbound",
    "format": "flat",
}


def _path(operation: ReadOperation, ref: str = "C1") -> str:
    return operation.template.replace("{customer_ref}", ref)


@pytest.mark.parametrize("operation", READS, ids=lambda o: o.suffix)
def test_the_openapi_declares_the_contracts_parameters(operation: ReadOperation) -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    declared = document["paths"][operation.template]["get"]["parameters"]
    by_place: dict[str, dict[str, Any]] = {}
    for parameter in declared:
        by_place.setdefault(parameter["in"], {})[parameter["name"]] = parameter
    assert set(by_place["path"]) == {"customer_ref"}
    documented = {p.name: p for p in operation.query if p.documented}
    assert set(by_place["query"]) == set(documented)
    for name, parameter in by_place["query"].items():
        assert parameter.get("required", False) == documented[name].required, name
        assert parameter["schema"].get("default") == documented[name].default, name
    assert set(by_place.get("header", {})) == set(operation.headers)


@pytest.mark.parametrize("operation", READS, ids=lambda o: o.suffix)
async def test_the_routes_accept_exactly_the_contracts_parameters(
    service: Service, operation: ReadOperation
) -> None:
    answer = await service.client.get(_path(operation), params={"chanel": "phone"})
    assert answer.status_code == 422
    assert answer.json()["invalid_params"] == [
        {
            "name": "query.chanel",
            "reason": f"unknown parameter; use {', '.join(sorted(operation.names))}",
        }
    ]


def _fast_layer(service: Service) -> FastReads:
    layer: Any = service.app.state.asgi_served
    while not isinstance(layer, FastReads):
        layer = layer.app
    return layer


async def test_the_fast_layer_answers_every_contract_parameter_and_no_other(
    service: Service,
) -> None:
    service.clock.fixed = datetime(2026, 11, 24, 12, tzinfo=UTC)
    layer = _fast_layer(service)
    inner = layer.app
    left: list[str] = []

    async def routes(scope, receive, send):  # type: ignore[no-untyped-def]
        left.append(scope["path"] + "?" + scope["query_string"].decode())
        await inner(scope, receive, send)

    layer.app = routes
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=service.app.state.asgi_served),
            base_url="http://t",
            headers=full_access(),
        ) as client:
            for operation in READS:
                # Written out: httpx would escape the colons, and the fast layer leaves
                # anything escaped to the routes.
                every = "&".join(f"{name}={PLAIN[name]}" for name in sorted(operation.names))
                answered = await client.get(f"{_path(operation)}?{every}")
                assert answered.status_code == 200, operation.template
                assert left == [], operation.template
                other = await client.get(f"{_path(operation)}?{every}&chanel=phone")
                assert other.status_code == 422, operation.template
                assert len(left) == 1, operation.template
                left.clear()
    finally:
        layer.app = inner


async def test_metrics_and_logs_name_the_reads_by_the_contracts_templates(
    service: Service,
) -> None:
    for operation in READS:
        plain = {"channel": "phone"} if "channel" in operation.names else {}
        # Answered by the fast layer, then (an unknown parameter) by the routes.
        assert (await service.client.get(_path(operation), params=plain)).status_code == 200
        assert (
            await service.client.get(_path(operation), params={**plain, "chanel": "x"})
        ).status_code == 422
    text = (await service.client.get("/metrics")).text
    for operation in READS:
        for status in (200, 422):
            line = (
                f'crs_http_requests_total{{method="GET",route="{operation.template}",'
                f'status="{status}"}} 1.0'
            )
            assert line in text, line
    assert {operation.template for operation in READS} >= UNLOGGED_ROUTES


async def test_both_paths_ask_about_now_at_its_whole_second_by_default(service: Service) -> None:
    now = datetime(2026, 11, 24, 11, 30, 15, 987654, tzinfo=UTC)
    service.clock.fixed = now
    expected = default_at(now).isoformat()
    assert expected == "2026-11-24T11:30:15+00:00"
    # The fast layer answers the plain form; the escaped one (%2C is a comma) the routes.
    fast = await service.client.get("/customers/C1/contact-check?channel=phone")
    routes = await service.client.get("/customers/C1/contact-check?channel=phone&service=a%2Cb")
    assert fast.json()["at"] == routes.json()["at"] == expected
