"""Traces across the services: one checkout through the gateway is one trace, from the gateway's
server span to orders, to catalogue reserving stock (an event), and back to orders (an event).

The services are real processes exporting over OTLP/HTTP (MARKET_OTLP_ENDPOINT) to a small
receiver in this test, which keeps every span it is sent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from tests.integration.test_orders_saga import Shop, piece
from tests.support.harness import ServiceProcess, TestEnvironment, eventually, free_port
from tests.support.orders import Api, json_connection, key, line, order_body

pytestmark = pytest.mark.timeout(180)


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, str]


class Receiver:
    """An OTLP/HTTP trace receiver: POST /v1/traces (protobuf), every span kept."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/traces", self._export)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _export(self, request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest.FromString(await request.read())
        for resource_spans in export.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                self.spans.extend(
                    Span(
                        resource["service.name"],
                        span.name,
                        span.kind,
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.parent_span_id.hex(),
                        {a.key: a.value.string_value for a in span.attributes},
                    )
                    for span in scope.spans
                )
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(), content_type="application/x-protobuf"
        )

    def trace(self, trace_id: str) -> dict[str, Span]:
        return {s.span_id: s for s in self.spans if s.trace_id == trace_id}


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture(scope="module")
def traced(
    services_db: dict, service_processes: Callable[..., ServiceProcess], receiver: Receiver
) -> dict[str, ServiceProcess]:
    """Catalogue, orders and the gateway, exporting their spans every 100 ms."""
    otel = {"MARKET_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    started = {name: service_processes(name, wait=False, **otel) for name in ("catalogue", "orders")}
    for process in started.values():
        process.wait_ready()
    started["gateway"] = service_processes(
        "gateway",
        GATEWAY_CATALOGUE_URL=started["catalogue"].url,
        GATEWAY_ORDERS_URL=started["orders"].url,
        **otel,
    )
    return started


@pytest.fixture
async def shop(
    traced: dict[str, ServiceProcess], test_env: TestEnvironment, mint: Callable[..., str]
) -> AsyncIterator[Shop]:
    async with aiohttp.ClientSession() as session, json_connection(test_env.database) as pg:
        yield Shop(
            Api(session, traced["orders"].url, mint),
            Api(session, traced["catalogue"].url, mint),
            pg,
            f"{test_env.namespace}.events",
        )


def ancestry(spans: dict[str, Span], span: Span) -> list[Span]:
    """The span and its parents, up to the root, as far as they were received."""
    chain = [span]
    while chain[-1].parent_id in spans:
        chain.append(spans[chain[-1].parent_id])
    return chain


def services_along(chain: list[Span]) -> list[str]:
    """The services a chain of spans passes through, root first, each stretch once."""
    names: list[str] = []
    for span in reversed(chain):
        if not names or names[-1] != span.service:
            names.append(span.service)
    return names


async def test_one_checkout_is_one_trace_gateway_orders_catalogue_orders(
    shop: Shop, traced: dict[str, ServiceProcess], receiver: Receiver
) -> None:
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 2}))
    gateway = Api(shop.orders.session, traced["gateway"].url, shop.orders.mint)
    order = await gateway.ok(
        "POST",
        "/api/v1/orders",
        shop.customer(),
        status=201,
        headers=key(),
        json=order_body(line(listing["id"], 1, ring_size_mm=52)),
    )
    await shop.settled(order, "confirmed")

    async def checkout_root() -> Span | None:
        return next(
            (
                s
                for s in receiver.spans
                if s.service == "gateway"
                and s.kind == SpanProto.SPAN_KIND_SERVER
                and s.name.startswith("POST /api/v1/")
                and s.attributes.get("url.path") == "/api/v1/orders"
            ),
            None,
        )

    root = await eventually(checkout_root, message="the gateway's span of the checkout")

    async def back_in_orders() -> list[Span] | None:
        spans = receiver.trace(root.trace_id)
        # orders consuming what catalogue emitted (stock reserved), in this same trace
        for span in spans.values():
            if span.service == "orders" and span.kind == SpanProto.SPAN_KIND_CONSUMER:
                chain = ancestry(spans, span)
                if chain[-1] == root and "catalogue" in services_along(chain):
                    return chain
        return None

    chain = await eventually(back_in_orders, message="orders consuming catalogue's answer, in the trace")
    assert services_along(chain) == ["gateway", "orders", "catalogue", "orders"]
    kinds = [(s.service, s.kind) for s in reversed(chain)]
    for step in (
        ("gateway", SpanProto.SPAN_KIND_SERVER),
        ("gateway", SpanProto.SPAN_KIND_CLIENT),
        ("orders", SpanProto.SPAN_KIND_SERVER),
        ("catalogue", SpanProto.SPAN_KIND_CONSUMER),
        ("orders", SpanProto.SPAN_KIND_CONSUMER),
    ):
        assert step in kinds, (step, kinds)
    spans = receiver.trace(root.trace_id)
    # The relay's publishing and the SQL each service ran are in the trace too.
    assert {s.service for s in spans.values() if s.kind == SpanProto.SPAN_KIND_PRODUCER} >= {
        "orders",
        "catalogue",
    }
    sql = {s.service for s in spans.values() if s.attributes.get("db.system") == "postgresql"}
    assert sql >= {"orders", "catalogue"}
    assert all(s.trace_id == root.trace_id for s in chain)


async def test_an_event_carries_the_trace_of_the_request_that_caused_it(shop: Shop) -> None:
    trace_id = uuid.uuid4().hex
    _, maker = await shop.maker()
    listing = await shop.listing(maker, piece({"kind": "ready_to_ship", "stock": 1}))
    await shop.catalogue.ok(
        "POST",
        f"/api/v1/listings/{listing['id']}/pause",
        maker,
        headers={"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"},
    )
    envelope = await shop.db.fetchval(
        "SELECT envelope FROM catalogue.outbox WHERE aggregate_id = $1 ORDER BY id DESC LIMIT 1",
        listing["id"],
    )
    assert envelope["traceparent"].split("-")[1] == trace_id
