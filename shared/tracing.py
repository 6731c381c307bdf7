"""Traces: OpenTelemetry spans for HTTP (server and client), events (publish and consume) and SQL,
exported over OTLP/HTTP when MARKET_OTLP_ENDPOINT is set.

One checkout is one trace: the gateway's server span is the parent of its client span to the
service, whose server span continues the W3C `traceparent` it was sent. An event carries the
`traceparent` of the span that was current when it was emitted (captured into its envelope as
it is written to the outbox), so the consuming service's span is a child of the request, or of
the consumption, that caused it, however late the relay publishes it.

Without an endpoint nothing is set up, and every hook here returns at once on a flag: no span
objects, no context changes, no `traceparent` in envelopes, no query logger on database
connections. (Even the OpenTelemetry API's no-op spans cost about 10 µs a request.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler as RequestHandler
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from shared.logging import bind_context

_tracer = trace.get_tracer("marketplace")
_enabled = False

# Probes and scrapes, every few seconds from the platform: no spans.
_UNTRACED = ("/health/", "/metrics")
_SQL_TEXT_MAX = 2000


def configure_tracing(service: str, namespace: str, endpoint: str | None) -> None:
    """Export this process's spans to the OTLP/HTTP collector at `endpoint`, if there is one."""
    global _enabled
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.namespace": namespace})
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
    )
    trace.set_tracer_provider(provider)
    _enabled = True


def enabled() -> bool:
    return _enabled


def shutdown() -> None:
    """Export what is still buffered (on a clean stop)."""
    provider = trace.get_tracer_provider()
    if _enabled and hasattr(provider, "shutdown"):
        provider.shutdown()


# --- carrying the context ------------------------------------------------------------------------


def current_traceparent() -> str | None:
    """The current span's W3C traceparent, for an event's envelope; None outside any span."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def _parent(carrier: Mapping[str, str] | None) -> Any:
    return propagate.extract(carrier) if carrier else None


def _logged(span: Span) -> AbstractContextManager[None]:
    """The trace id on every log line written within the span, to go from a log to its trace."""
    if not span.is_recording():
        return nullcontext()
    return bind_context(trace_id=format(span.get_span_context().trace_id, "032x"))


# --- spans ---------------------------------------------------------------------------------------


@web.middleware
async def server_spans(request: web.Request, handler: RequestHandler) -> web.StreamResponse:
    """A server span per request, continuing the caller's traceparent; named by route."""
    if not _enabled or request.path.startswith(_UNTRACED):
        return await handler(request)
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    with (
        _tracer.start_as_current_span(
            f"{request.method} {route}",
            context=_parent(request.headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": request.method, "http.route": route, "url.path": request.path},
        ) as span,
        _logged(span),
    ):
        response = await handler(request)
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        return response


@contextmanager
def client_span(method: str, service: str, url: str, headers: MutableMapping[str, str]) -> Iterator[Span]:
    """A client span around a call to another service, its traceparent injected into `headers`."""
    if not _enabled:
        yield trace.INVALID_SPAN
        return
    with _tracer.start_as_current_span(
        f"{method} {service}",
        kind=SpanKind.CLIENT,
        attributes={"http.request.method": method, "url.full": url, "peer.service": service},
    ) as span:
        propagate.inject(headers)
        yield span


@contextmanager
def publish_span(routing_key: str, traceparent: str | None) -> Iterator[Span]:
    """The relay publishing an event: a producer span in the trace that emitted it."""
    if not _enabled:
        yield trace.INVALID_SPAN
        return
    parent = {"traceparent": traceparent} if traceparent else None
    with _tracer.start_as_current_span(
        f"{routing_key} publish",
        context=_parent(parent),
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "rabbitmq", "messaging.destination.name": routing_key},
    ) as span:
        yield span


@contextmanager
def consume_span(routing_key: str, traceparent: str | None, event_id: str) -> Iterator[Span]:
    """A consumer handling an event: a child of the span that emitted it. The events its handler
    emits capture this span, so the chain goes on."""
    if not _enabled:
        yield trace.INVALID_SPAN
        return
    parent = {"traceparent": traceparent} if traceparent else None
    with (
        _tracer.start_as_current_span(
            f"{routing_key} process",
            context=_parent(parent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.destination.name": routing_key,
                "messaging.message.id": event_id,
            },
        ) as span,
        _logged(span),
    ):
        yield span


def failed(error: BaseException) -> None:
    """Mark the current span failed by an error that was handled (a message sent to retry)."""
    if _enabled:
        span = trace.get_current_span()
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def sql_span(record: Any) -> None:
    """An asyncpg query logger (asyncpg.connection.LoggedQuery): a finished span for the query,
    in the context of the code that ran it (asyncpg calls loggers with that context)."""
    if not trace.get_current_span().get_span_context().is_valid:
        return  # a query outside any trace (a sweeper's poll): not worth a trace of its own
    end = time.time_ns()
    text = " ".join(str(record.query).split())
    span = _tracer.start_span(
        text.split(" ", 1)[0].upper() or "SQL",
        kind=SpanKind.CLIENT,
        start_time=end - int(record.elapsed * 1e9),
        attributes={"db.system": "postgresql", "db.query.text": text[:_SQL_TEXT_MAX]},
    )
    if record.exception is not None:
        span.set_status(Status(StatusCode.ERROR, type(record.exception).__name__))
    span.end(end_time=end)
