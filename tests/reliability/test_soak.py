"""The soak (tests/reliability/soak/): steady mixed load on the reliability stack for
SOAK_MINUTES (3 in `make reliability`, 30 in `make soak`), sampled every 10 s; passes when
nothing grew without bound and nothing was left behind. Collected only when SOAK_MINUTES or
RELIABILITY_FULL is set (tests/reliability/conftest.py): `make test` does not run it."""

from __future__ import annotations

import asyncpg
import pytest

from tests.reliability.marketplace import Shop, Stack
from tests.reliability.soak import DRAIN_S, SOAK_MINUTES, soak
from tests.support.harness import TestEnvironment

pytestmark = pytest.mark.timeout(int(SOAK_MINUTES * 60 + DRAIN_S + 600))


async def test_nothing_grows_without_bound_under_steady_mixed_load(
    stack: Stack, shop: Shop, pg: asyncpg.Pool, test_env: TestEnvironment
) -> None:
    summary = await soak(stack, shop, pg, test_env.namespace)
    judged = summary["verdict"]
    print(
        f"\nsoak {summary['minutes']:g} min at {summary['commit']}: {judged['result']}, "
        f"{judged['requests']} requests, {judged['errors']} failed; outcomes {summary['outcomes']}; "
        f"charts {summary['charts']}"
    )
    assert not judged["failures"], judged["failures"]
