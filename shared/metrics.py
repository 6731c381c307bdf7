"""Prometheus metrics every service exposes at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_CONSUMED = Counter(
    "events_consumed_total",
    "Messages consumed, by outcome: processed, duplicate, retried, parked, malformed",
    ["service", "event_type", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "outbox_events_published_total", "Outbox events published and confirmed", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "outbox_publish_failures_total", "Outbox publishes that were not confirmed", ["service"]
)
OUTBOX_PENDING = Gauge("outbox_pending_events", "Unsent outbox rows", ["service"])
OUTBOX_LAG = Gauge("outbox_lag_seconds", "Age of the oldest unsent outbox row (0 when none)", ["service"])
PARKING_DEPTH = Gauge("parking_queue_depth", "Messages in the parking queue", ["service"])
