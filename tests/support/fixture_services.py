"""Two tiny services that exercise the runtime exactly as real services do:
`producer` changes rows and emits events through the outbox; `consumer`
applies them. Used by the foundation's reliability tests.

    python -m tests.support.fixture_services producer|consumer --role all
"""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from shared.config import ServiceSettings
from shared.contracts import Envelope, Event
from shared.db import UnitOfWork
from shared.http import POOL, Call, Routes
from shared.service import ServiceDefinition, run

HERE = Path(__file__).parent


class ItemChanged(Event):
    event_type = "fixture.item.changed"
    version = 1

    item_id: uuid.UUID
    version_no: int
    poison: bool = False


class ProducerSettings(ServiceSettings):
    service = "producer"
    port: int = Field(0, validation_alias="PRODUCER_PORT")


class ConsumerSettings(ServiceSettings):
    service = "consumer"
    port: int = Field(0, validation_alias="CONSUMER_PORT")


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: uuid.UUID
    poison: bool = False


class ChangeOut(BaseModel):
    item_id: uuid.UUID
    version: int
    event_id: uuid.UUID


routes = Routes("fixture")


@routes.post("/items/change", body=ChangeIn, response=ChangeOut, auth="none")
async def change_item(call: Call) -> ChangeOut:
    """Create or bump an item; emits one event in the same transaction."""
    async with UnitOfWork(call.app[POOL], "producer") as uow:
        version = await uow.conn.fetchval(
            "INSERT INTO items (id, label) VALUES ($1, 'x') "
            "ON CONFLICT (id) DO UPDATE SET version = items.version + 1 RETURNING version",
            call.body.item_id,
        )
        envelope = uow.emit(
            ItemChanged(item_id=call.body.item_id, version_no=version, poison=call.body.poison),
            call.body.item_id,
            version,
        )
    return ChangeOut(item_id=call.body.item_id, version=version, event_id=envelope.event_id)


async def apply_change(uow: UnitOfWork, event: ItemChanged, envelope: Envelope) -> None:
    if event.poison and not await uow.conn.fetchval("SELECT 1 FROM fault_cleared"):
        raise RuntimeError("poison item: fault not cleared")
    await uow.conn.execute(
        "INSERT INTO effects (item_id, version, event_id) VALUES ($1, $2, $3)",
        event.item_id,
        event.version_no,
        envelope.event_id,
    )


def _consumer_handlers(app: web.Application) -> dict:
    return {ItemChanged: apply_change}


PRODUCER = ServiceDefinition(
    name="producer",
    title="Fixture producer",
    settings_cls=ProducerSettings,
    migrations=HERE / "migrations_producer",
    routes=[routes],
)
CONSUMER = ServiceDefinition(
    name="consumer",
    title="Fixture consumer",
    settings_cls=ConsumerSettings,
    migrations=HERE / "migrations_consumer",
    handlers=_consumer_handlers,
)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("service", choices=["producer", "consumer"])
    parser.add_argument("--role", default="all")
    args = parser.parse_args()
    run(PRODUCER if args.service == "producer" else CONSUMER, args.role)
