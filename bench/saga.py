"""saga: orders per second from POST /api/v1/orders to `confirmed`, and p50/p99 of that time,
at 16 and 64 concurrent customers, against a floor: one process doing the same database
transactions and confirmed publishes (place, reserve, authorise and confirm, commit the
reservation) with no HTTP and no consumers. Target >= 0.5x the floor, zero orders lost.

Not written yet. What it needs, and the hook it fills:

- setup: makers, catalogue and orders migrated; catalogue and orders started with
  ServiceProcess (`--role all`); approved makers published as makers events; listings made by
  the catalogue's code (bench/listings.py `make_templates`) with stock enough for every order,
  so their `catalogue.listing.published` events fill orders' read model;
- load: N customers (16, then 64), each a closed loop of POST /api/v1/orders (an
  Idempotency-Key, the sandbox payment token) then GET /api/v1/orders/{id} until `confirmed`,
  recording POST-to-confirmed latency; afterwards every order placed must be confirmed
  (none pending, none lost);
- floor: the same units of work called in process through the services' own store and saga
  functions, with an OutboxRelay publishing each step's events with confirms;
- memory: `memory_load(env, processes)` (this module) is what bench/memory.py runs under
  `LOADS["saga"]` to sample peak RSS under the saga load.

Until then `run` reports it as not yet available.
"""

from __future__ import annotations

from bench.core import Context
from tests.support.harness import ROOT


def available() -> bool:
    """Whether the orders service the saga needs exists (its API)."""
    return (ROOT / "services" / "orders" / "api.py").exists()


def unavailable_reason() -> str:
    if not available():
        return "services/orders/api.py does not exist yet"
    return ("services/orders/api.py exists, but the saga benchmark and its in-process floor "
            "are not written yet (bench/saga.py says what they need)")


async def run(ctx: Context) -> None:
    ctx.skip("saga", unavailable_reason())
