"""docs/asyncapi.yaml is generated from the event contracts and kept current."""

from __future__ import annotations

import pkgutil
import sys
import uuid
from typing import Any

import yaml
from pydantic import BaseModel

import shared.contracts as contracts
from shared.contracts import Event, registered_events
from shared.contracts.asyncapi import (
    DOCUMENT,
    build_document,
    contract_events,
    render,
)


class _Price(BaseModel):
    amount: int
    currency: str


class WidgetMade(Event):
    """A widget was made (test-only event: registered outside shared.contracts).

    Second paragraph, not part of the summary."""

    event_type = "testonly.widget.made"
    version = 2

    widget_id: uuid.UUID
    price: _Price
    note: str | None = None


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_committed_document_is_current() -> None:
    expected = render()
    committed = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    assert committed == expected, (
        "docs/asyncapi.yaml is stale: run `make asyncapi` "
        "(python -m shared.contracts.asyncapi) and commit the result"
    )


def test_output_is_deterministic() -> None:
    assert render() == render()


def test_every_contract_module_is_imported_and_fixtures_are_left_out() -> None:
    events = contract_events()
    for module in pkgutil.iter_modules(contracts.__path__):
        if module.name != "asyncapi":
            assert f"shared.contracts.{module.name}" in sys.modules
    assert WidgetMade in registered_events().values()
    assert WidgetMade not in events
    assert all(cls.__module__.startswith("shared.contracts") for cls in events)
    document = build_document()
    assert set(document["channels"]) == {cls.routing_key() for cls in events}


def test_an_event_becomes_a_channel_message_and_operation() -> None:
    document = build_document([WidgetMade], namespace="market")
    # Round-trips through YAML unchanged (no anchors, plain types).
    assert yaml.safe_load(render(document)) == document
    assert document["asyncapi"].startswith("3.")

    key = "testonly.widget.made.v2"
    channel = document["channels"][key]
    assert channel["address"] == key
    exchange = channel["bindings"]["amqp"]["exchange"]
    assert exchange == {
        "name": "market.events",
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }

    message = _resolve(document, channel["messages"][key]["$ref"])
    assert message["name"] == key
    assert message["summary"] == "A widget was made (test-only event: registered outside shared.contracts)."
    envelope_ref, specifics = message["payload"]["allOf"]
    envelope = _resolve(document, envelope_ref["$ref"])
    assert set(envelope["required"]) >= {
        "event_id",
        "type",
        "version",
        "occurred_at",
        "producer",
        "aggregate_id",
        "correlation_id",
    }
    assert specifics["properties"]["type"] == {"const": "testonly.widget.made"}
    assert specifics["properties"]["version"] == {"const": 2}
    data = _resolve(document, specifics["properties"]["data"]["$ref"])
    assert set(data["properties"]) == {"widget_id", "price", "note"}
    assert data["properties"]["widget_id"]["format"] == "uuid"

    operations = [
        op for op in document["operations"].values() if op["channel"]["$ref"] == f"#/channels/{key}"
    ]
    assert len(operations) == 1 and operations[0]["action"] == "send"

    for ref in _refs(document):
        _resolve(document, ref)


def test_namespace_comes_from_the_default_not_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("MARKET_NAMESPACE", "somebodyelse")
    document = build_document([WidgetMade])
    assert "market.events" in document["channels"]["testonly.widget.made.v2"]["description"]
