"""The processes a search benchmark runs against, and growing a catalogue to a size.

A `Stack` is one namespace: its catalogue migrated, its listings loaded (bench/listings.py), the
PostgreSQL baseline's table built (bench/bare_search.py), and the processes measured: the
catalogue API with its own search index directory, the gateway in front of it, the bare
PostgreSQL server and the bare tantivy server (bench/bare_tantivy.py). `search.varied` keeps
the 10k catalogue in a stack of its own for the whole run while another grows to each larger
size: every repeat measures the 10k catalogue and the larger one back to back, so the p50 ratio
is a median of interleaved pairs (measured one size after the other, minutes apart, it moved
with whatever else the shared machine did).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench import bare_search
from bench.core import Context, migrate_services
from tests.support.harness import ServiceProcess, TestEnvironment, admin_dsn

# The catalogue's setting naming its search index directory (one per instance).
INDEX_DIR_VAR = "MARKET_SEARCH_INDEX_DIR"
READY_TIMEOUT_S = 1800.0  # an instance reports ready once its index is built: 1M takes a while


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


@dataclass
class Stack:
    """What a search benchmark runs against in one namespace."""

    env: TestEnvironment
    admin: asyncpg.Connection
    catalogue_settings: Any
    loader: Any
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def stop(self, *names: str) -> None:
        for name in names or list(self.processes):
            proc = self.processes.pop(name, None)
            if proc is not None:
                proc.stop()

    def url(self, name: str) -> str:
        return self.processes[name].url

    def index_dir(self, name: str) -> Path:
        return Path(self.env.workdir) / "search-index" / name


async def prepare(env: TestEnvironment) -> Stack:
    from bench.listings import Loader, make_templates

    settings = await migrate_services(env, ["catalogue", "gateway"])
    admin = await asyncpg.connect(admin_dsn(env.database))
    templates, maker_row, columns = await make_templates(settings["catalogue"], admin)
    return Stack(env, admin, settings["catalogue"], Loader(admin, templates, maker_row, columns))


async def grow(ctx: Context, stack: Stack, size: int) -> float:
    """Load listings up to `size` and rebuild the baseline's table; the seconds the load took."""
    bar = ctx.progress(
        total=2 * (size - stack.loader.loaded), desc=f"loading to {size:,}", unit="row", leave=False
    )
    seconds = await stack.loader.grow_to(size, bar)
    bar.close()
    started = time.perf_counter()
    await bare_search.build(stack.admin)
    ctx.log(
        f"  {size:,} listings loaded in {seconds:.0f} s; PostgreSQL baseline table built in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return seconds


def _start(stack: Stack, name: str, args: list[str], port_var: str, **extra: str) -> ServiceProcess:
    proc = ServiceProcess(
        args, port_var, {**stack.env.env, "MARKET_LOG_LEVEL": "warning"}, stack.env.workdir, name, extra
    )
    stack.processes[name] = proc.start(wait=False)
    return proc


async def _ready(proc: ServiceProcess, timeout_s: float = READY_TIMEOUT_S) -> None:
    await asyncio.to_thread(proc.wait_ready, timeout_s)


async def start_catalogue(stack: Stack, name: str = "catalogue", fresh_index: bool = True) -> float:
    """Start a catalogue API instance with its own index directory (emptied first when
    `fresh_index`: the instance builds its index from PostgreSQL); the seconds until ready."""
    index = stack.index_dir(name)
    if fresh_index:
        shutil.rmtree(index, ignore_errors=True)
    index.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    proc = _start(
        stack, name, ["services.catalogue", "--role", "api"], "CATALOGUE_PORT", **{INDEX_DIR_VAR: str(index)}
    )
    await _ready(proc)
    return time.perf_counter() - started


async def start_gateway(stack: Stack, catalogue: str = "catalogue") -> None:
    proc = _start(
        stack,
        "gateway",
        ["services.gateway", "--role", "api"],
        "GATEWAY_PORT",
        GATEWAY_CATALOGUE_URL=stack.url(catalogue),
        # One client address sends everything.
        GATEWAY_RATE_LIMIT_PER_S="1000000",
        GATEWAY_RATE_LIMIT_BURST="1000000",
    )
    await _ready(proc, 60)


async def start_bare(stack: Stack) -> None:
    """The two bare servers: PostgreSQL full-text, and tantivy over the catalogue's own index."""
    dsn = admin_dsn(stack.env.database)
    await _ready(_start(stack, "bare_pg", ["bench.bare_search", dsn], "BARE_PORT"), 60)
    index = stack.index_dir("bare_tantivy")
    shutil.rmtree(index, ignore_errors=True)
    await _ready(
        _start(
            stack,
            "bare_tantivy",
            ["bench.bare_tantivy", stack.catalogue_settings.dsn(), str(index)],
            "BARE_PORT",
        )
    )
