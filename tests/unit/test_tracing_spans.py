"""shared/tracing.py without processes: the SDK's in-memory exporter shows how spans nest, how
a traceparent travels through an event's envelope, and which SQL is traced."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.contracts import Envelope
from shared.logging import current_context
from tests.support.fixture_services import ItemChanged


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """The spans finished during the test, from an SDK tracer of the test's own (the process's
    global provider stays the API's no-op one)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_tracer", provider.get_tracer("test"))
    monkeypatch.setattr(tracing, "_enabled", True)
    return exporter


def test_an_event_emitted_in_a_span_carries_it_to_the_consumer(spans: InMemorySpanExporter) -> None:
    with tracing.consume_span("fixture.item.changed.v1", None, "e1") as request:
        traceparent = tracing.current_traceparent()
        envelope = Envelope.wrap(
            ItemChanged(item_id=uuid.uuid4(), version_no=1),
            producer="producer",
            aggregate_id="a",
            traceparent=traceparent,
        )
    assert traceparent is not None and Envelope.model_validate_json(envelope.model_dump_json()).traceparent
    with tracing.publish_span(envelope.routing_key, envelope.traceparent):
        pass
    with tracing.consume_span(envelope.routing_key, envelope.traceparent, str(envelope.event_id)):
        assert current_context()["trace_id"] == format(request.get_span_context().trace_id, "032x")
    first, publish, consume = spans.get_finished_spans()
    assert {publish.context.trace_id, consume.context.trace_id} == {first.context.trace_id}
    assert publish.parent is not None and publish.parent.span_id == first.context.span_id
    assert consume.parent is not None and consume.parent.span_id == first.context.span_id
    assert (publish.kind, consume.kind) == (SpanKind.PRODUCER, SpanKind.CONSUMER)


def test_an_envelope_without_a_traceparent_starts_a_trace_of_its_own(spans: InMemorySpanExporter) -> None:
    old = Envelope.model_validate(
        {
            "event_id": str(uuid.uuid4()),
            "type": "fixture.item.changed",
            "version": 1,
            "occurred_at": "2026-12-06T07:00:00Z",
            "producer": "producer",
            "aggregate_id": "a",
            "correlation_id": "c",
        }
    )
    assert old.traceparent is None
    with tracing.consume_span(old.routing_key, old.traceparent, str(old.event_id)):
        pass
    [span] = spans.get_finished_spans()
    assert span.parent is None


def _query(text: str, elapsed: float = 0.002, exception: BaseException | None = None) -> SimpleNamespace:
    return SimpleNamespace(query=text, elapsed=elapsed, exception=exception)


def test_sql_inside_a_trace_is_a_child_span_and_outside_one_is_not_traced(
    spans: InMemorySpanExporter,
) -> None:
    tracing.sql_span(_query("SELECT 1"))  # a sweeper's poll, outside any trace
    with tracing.consume_span("k", None, "e"):
        tracing.sql_span(_query("  insert into inbox\n (event_id) VALUES ($1)"))
        tracing.sql_span(_query("UPDATE x SET y = 1", exception=ValueError("no")))
    insert, update, parent = spans.get_finished_spans()
    assert insert.name == "INSERT" and insert.attributes is not None
    assert insert.attributes["db.query.text"] == "insert into inbox (event_id) VALUES ($1)"
    assert insert.parent is not None and insert.parent.span_id == parent.context.span_id
    assert insert.end_time is not None and insert.start_time is not None
    assert insert.end_time - insert.start_time == pytest.approx(2_000_000, rel=0.01)
    assert not update.status.is_ok


def test_a_handled_failure_marks_the_span(spans: InMemorySpanExporter) -> None:
    with tracing.consume_span("k", None, "e"):
        tracing.failed(RuntimeError("payment provider down"))
    [span] = spans.get_finished_spans()
    assert not span.status.is_ok and span.events[0].name == "exception"


def test_without_an_endpoint_nothing_is_traced() -> None:
    headers: dict[str, str] = {}
    with tracing.client_span("GET", "orders", "http://orders/", headers) as span:
        assert not span.is_recording() and tracing.current_traceparent() is None
    with tracing.consume_span("k", "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "e"):
        assert tracing.current_traceparent() is None and "trace_id" not in current_context()
    assert headers == {}


def test_a_client_span_sends_its_traceparent(spans: InMemorySpanExporter) -> None:
    headers: dict[str, str] = {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}
    with tracing.client_span("POST", "orders", "http://orders/api/v1/orders", headers) as span:
        pass
    sent_trace, sent_span = headers["traceparent"].split("-")[1:3]
    assert sent_span == format(span.get_span_context().span_id, "016x")
    assert sent_trace != "1" * 32  # what came in from the client was replaced, not forwarded
