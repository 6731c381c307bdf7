"""Parking-queue tooling: list what a service gave up on, and replay it.

Replay sends each message straight back to the service's own queue (not the
exchange, so no other service sees it twice), with its retry count reset.
"""

from __future__ import annotations

import json
from typing import Any

from shared.bus import PARKED_REASON_HEADER, RETRY_ATTEMPT_HEADER, Bus
from shared.config import ServiceSettings


async def parked_messages(settings: ServiceSettings) -> list[dict[str, Any]]:
    bus = Bus(settings, connection_name=f"{settings.namespace}.dlq")
    await bus.connect()
    try:
        channel = await bus.channel()
        queue = await channel.declare_queue(settings.parking_queue, passive=True)
        entries, held = [], []
        while (message := await queue.get(fail=False, timeout=5)) is not None:
            held.append(message)
            entries.append(
                {
                    "message_id": message.message_id,
                    "type": message.type,
                    "reason": (message.headers or {}).get(PARKED_REASON_HEADER),
                    "body": _preview(message.body),
                }
            )
        for message in held:  # put them all back, in order
            await message.nack(requeue=True)
        await channel.close()
        return entries
    finally:
        await bus.close()


async def replay_parked(settings: ServiceSettings, message_id: str | None = None) -> int:
    bus = Bus(settings, connection_name=f"{settings.namespace}.dlq")
    await bus.connect()
    replayed = 0
    try:
        channel = await bus.channel()
        queue = await channel.declare_queue(settings.parking_queue, passive=True)
        skipped = []
        while (message := await queue.get(fail=False, timeout=5)) is not None:
            if message_id is not None and message.message_id != message_id:
                skipped.append(message)
                continue
            headers = {
                k: v
                for k, v in (message.headers or {}).items()
                if k not in (PARKED_REASON_HEADER, RETRY_ATTEMPT_HEADER)
            }
            await bus.send_to_queue(
                settings.queue,
                message.body,
                message_id=message.message_id,
                headers=headers,
                correlation_id=message.correlation_id,
                event_type=message.type,
            )
            await message.ack()
            replayed += 1
        for message in skipped:
            await message.nack(requeue=True)
        await channel.close()
    finally:
        await bus.close()
    return replayed


def _preview(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body[:500].decode("utf-8", "replace")
