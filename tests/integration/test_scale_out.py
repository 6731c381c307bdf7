"""Scale-out: several instances of a service against one PostgreSQL and one RabbitMQ.

- Competing consumers: three worker processes of the fixture consumer share one quorum queue;
  every event takes effect exactly once, and each process's own log says which events it
  applied, so the test sees the work was shared and no event was applied by two of them.
- Standby relay: two relay processes of the fixture producer, one active (advisory lock), one
  standing by; SIGKILL the active one and the standby publishes within seconds, nothing lost.
- Gateway: three API instances of the makers service behind one gateway given all three URLs;
  the request ids each instance logs show the gateway spreads requests over all of them.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp

from tests.support.backbone import assert_exactly_once, change
from tests.support.harness import ServiceProcess, eventually

TAKEOVER_BOUND_S = 10.0


def log_events(proc: ServiceProcess, event: str) -> list[dict]:
    """The JSON log lines of one process with this `event`."""
    found = []
    for line in proc.logs().splitlines():
        if f'"{event}"' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == event:
            found.append(record)
    return found


async def produce(url: str, count: int, aggregates: int | None = None) -> list[str]:
    items = [uuid.uuid4() for _ in range(aggregates or count)]
    async with aiohttp.ClientSession() as session:
        return list(
            await asyncio.gather(*(change(session, url, items[i % len(items)]) for i in range(count)))
        )


async def test_competing_consumers_share_the_work_and_apply_each_event_once(
    spawn, admin_conn, test_env
) -> None:
    producer = spawn("producer")
    consumers = [spawn("consumer", role="worker") for _ in range(3)]
    # 600 events over 200 aggregates (three versions each), published in bursts.
    event_ids = await produce(producer.url, 600, aggregates=200)
    await assert_exactly_once(admin_conn, test_env.namespace, event_ids, timeout_s=60)

    wanted = set(event_ids)

    async def logged() -> list[set[str]] | None:
        per_process = [
            {r["event_id"] for r in log_events(c, "event_consumed") if r.get("outcome") == "processed"}
            & wanted
            for c in consumers
        ]
        return per_process if set().union(*per_process) == wanted else None

    per_process = await eventually(logged, 10, message="every event in some consumer's log")
    shares = [len(ids) for ids in per_process]
    assert all(share > 0 for share in shares), f"a consumer got no work: {shares}"
    for i in range(3):
        for j in range(i + 1, 3):
            both = per_process[i] & per_process[j]
            assert not both, f"consumers {i} and {j} both applied {sorted(both)[:5]}"
    assert sum(shares) == len(wanted)


async def test_standby_relay_takes_over_within_seconds_when_the_active_one_is_killed(
    spawn, admin_conn, test_env
) -> None:
    api = spawn("producer", role="api")
    relays = [spawn("producer", role="relay") for _ in range(2)]
    spawn("consumer", role="worker")

    async def the_active_one() -> ServiceProcess | None:
        active = [r for r in relays if log_events(r, "relay_active")]
        return active[0] if len(active) == 1 else None

    active = await eventually(the_active_one, 15, message="one relay active")
    standby = next(r for r in relays if r is not active)
    before = await produce(api.url, 100, aggregates=30)
    await assert_exactly_once(admin_conn, test_env.namespace, before, timeout_s=60)

    # Kill the active relay while events keep coming (the first of them committed); time until
    # an event committed after the kill is published.
    last_before = await admin_conn.fetchval("SELECT max(id) FROM producer.outbox")
    during = asyncio.ensure_future(produce(api.url, 100, aggregates=30))

    async def coming() -> bool:
        return bool(await admin_conn.fetchval("SELECT 1 FROM producer.outbox WHERE id > $1", last_before))

    await eventually(coming, 15, interval_s=0.01, message="the next events committing")
    active.kill()
    killed_at = time.monotonic()
    probe = (await produce(api.url, 1))[0]

    async def probe_published() -> bool:
        return bool(
            await admin_conn.fetchval(
                "SELECT sent_at IS NOT NULL FROM producer.outbox WHERE event_id = $1", uuid.UUID(probe)
            )
        )

    await eventually(probe_published, 30, interval_s=0.05, message="published after the kill")
    takeover_s = time.monotonic() - killed_at
    print(f"standby relay took over in {takeover_s:.2f} s")
    assert log_events(standby, "relay_active"), "the standby never became active"
    assert takeover_s < TAKEOVER_BOUND_S, f"takeover took {takeover_s:.1f} s"
    await assert_exactly_once(admin_conn, test_env.namespace, before + await during + [probe], timeout_s=60)


async def test_gateway_spreads_requests_across_api_instances(service_processes, services_db) -> None:
    instances = [service_processes("makers", role="api") for _ in range(3)]
    gateway = service_processes(
        "gateway",
        role="api",
        wait=False,
        GATEWAY_MAKERS_URL=",".join(p.url for p in instances),
        GATEWAY_RATE_LIMIT_PER_S="10000",
        GATEWAY_RATE_LIMIT_BURST="10000",
    )
    try:
        await asyncio.to_thread(gateway.wait_ready, 30)
        request_ids = [f"spread-{uuid.uuid4().hex[:12]}-{i}" for i in range(60)]
        async with aiohttp.ClientSession() as session:

            async def get(request_id: str) -> int:
                async with session.get(
                    f"{gateway.url}/api/v1/makers", headers={"X-Request-ID": request_id}
                ) as r:
                    await r.read()
                    return r.status

            # One after another: a pure rotation shows.
            statuses = [await get(request_id) for request_id in request_ids]
        assert set(statuses) == {200}, statuses

        async def served() -> list[set[str]] | None:
            per = [
                {r.get("request_id") for r in log_events(p, "http_request")} & set(request_ids)
                for p in instances
            ]
            return per if set().union(*per) == set(request_ids) else None

        per_instance = await eventually(served, 10, message="every request in some instance's log")
        shares = sorted(len(ids) for ids in per_instance)
        assert shares[0] >= len(request_ids) // 3 // 2, f"uneven spread: {shares}"
        assert sum(shares) == len(request_ids), "a request reached two instances"
    finally:
        gateway.stop()
        for proc in instances:
            proc.stop()
