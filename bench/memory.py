"""memory: resident memory (RSS) of each service process, idle and under load.

Each real service runs as `python -m services.NAME --role all` (ServiceProcess) against a
fresh, migrated namespace. Baseline: the fixture producer (tests/support/fixture_services.py)
in the same run: the same runtime (aiohttp, asyncpg pool, aio-pika, relay, consumer) with a
trivial domain, so the ratio is what a service's own code and data add to the runtime floor.

Idle: RSS once ready and settled (a few samples a second apart, median). Under load: the peak
RSS sampled every 0.2 s while a load runs; `LOADS` is the hook a load benchmark registers
with (the saga benchmark does, once services/orders exists): name -> async function (env,
processes by service) that drives traffic for a while.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.core import Context, compare, migrate_services, namespace
from shared.migrate import migrate
from tests.support.fixture_services import PRODUCER
from tests.support.harness import ServiceProcess, TestEnvironment

SERVICES = ("makers", "catalogue", "orders", "gateway")

# name -> load(env, {service: ServiceProcess}); the saga benchmark registers "saga".
Load = Callable[[TestEnvironment, dict[str, ServiceProcess]], Awaitable[None]]
LOADS: dict[str, Load] = {}


def rss_mib(pid: int) -> float:
    """Resident set of one process, MiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def idle_rss(proc: ServiceProcess, samples: int = 5, settle_s: float = 2.0) -> float:
    assert proc.proc is not None
    await asyncio.sleep(settle_s)
    values = []
    for _ in range(samples):
        values.append(rss_mib(proc.proc.pid))
        await asyncio.sleep(0.5)
    return statistics.median(values)


async def peak_rss_during(
    procs: dict[str, ServiceProcess], work: Awaitable[None], interval_s: float = 0.2
) -> dict[str, float]:
    """Run `work`, sampling every process's RSS; the peak of each."""
    peaks = dict.fromkeys(procs, 0.0)
    task = asyncio.ensure_future(work)
    while not task.done():
        for name, proc in procs.items():
            if proc.proc is not None and proc.proc.poll() is None:
                peaks[name] = max(peaks[name], rss_mib(proc.proc.pid))
        await asyncio.wait({task}, timeout=interval_s)
    task.result()
    return peaks


def start(
    env: TestEnvironment, module_args: list[str], port_var: str, name: str, **extra_env: str
) -> ServiceProcess:
    proc = ServiceProcess(
        module_args, port_var, {**env.env, "MARKET_LOG_LEVEL": "warning"}, env.workdir, name, extra_env
    )
    return proc.start(wait=False)


async def wait_ready(proc: ServiceProcess, timeout_s: float = 60) -> None:
    await asyncio.to_thread(proc.wait_ready, timeout_s)


async def run(ctx: Context) -> None:
    from bench import saga

    if saga.available() and hasattr(saga, "memory_load"):
        LOADS.setdefault("saga", saga.memory_load)
    repeats = ctx.repeats
    idle: dict[str, list[float]] = {name: [] for name in SERVICES}
    baseline: list[float] = []
    under_load: dict[str, dict[str, list[float]]] = {}
    failed: dict[str, str] = {}
    bar = ctx.progress(total=repeats, desc="memory (idle RSS)", unit="round", leave=False)
    for _ in range(repeats):
        async with namespace("bench-memory") as env:
            producer_settings = env.track(PRODUCER.settings_cls())
            await migrate(producer_settings, PRODUCER.migrations)
            await migrate_services(env, SERVICES)
            procs: dict[str, ServiceProcess] = {}
            fixture = start(
                env,
                ["tests.support.fixture_services", "producer", "--role", "all"],
                "PRODUCER_PORT",
                "fixture-producer",
            )
            try:
                for name in SERVICES:
                    upstreams = {
                        f"GATEWAY_{s.upper()}_URL": procs[s].url
                        for s in ("makers", "catalogue", "orders")
                        if s in procs
                    }
                    procs[name] = start(
                        env,
                        [f"services.{name}", "--role", "all"],
                        f"{name.upper()}_PORT",
                        name,
                        **(upstreams if name == "gateway" else {}),
                    )
                await wait_ready(fixture)
                for name, proc in list(procs.items()):
                    try:
                        await wait_ready(proc)
                    except (RuntimeError, TimeoutError) as exc:
                        failed[name] = str(exc).splitlines()[0][:200]
                        proc.stop()
                        del procs[name]
                samples = await asyncio.gather(idle_rss(fixture), *(idle_rss(p) for p in procs.values()))
                baseline.append(samples[0])
                for name, value in zip(procs, samples[1:], strict=False):
                    idle[name].append(value)
                for load_name, load in LOADS.items():
                    peaks = await peak_rss_during(procs, load(env, procs))
                    for name, value in peaks.items():
                        under_load.setdefault(load_name, {}).setdefault(name, []).append(value)
            finally:
                fixture.stop()
                for proc in procs.values():
                    proc.stop()
        bar.update()
    bar.close()
    for name in SERVICES:
        if idle[name]:
            ctx.add(
                compare(
                    f"memory.{name}.idle_rss",
                    "MiB",
                    idle[name],
                    baseline,
                    None,
                    note=f"python -m services.{name} --role all, idle; baseline: the fixture "
                    "producer (runtime floor)",
                )
            )
        else:
            ctx.skip(f"memory.{name}", f"the service did not start: {failed.get(name, '?')}")
    for load_name, per_service in under_load.items():
        for name, values in per_service.items():
            ctx.add(
                compare(
                    f"memory.{name}.{load_name}_peak_rss",
                    "MiB",
                    values,
                    idle[name],
                    None,
                    note=f"peak RSS during the {load_name} load; baseline: the same service idle",
                )
            )
    if "saga" not in LOADS:
        ctx.skip("memory.under_saga_load", saga.unavailable_reason())
