"""The gateway's edge without a server: the API limit's local lease over a shared bucket, and
the storefront's fingerprinted files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from services.gateway.edge import ApiLimit, Storefront, counts_against_the_limit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SharedBucket:
    """What store.take_tokens does, in memory: one bucket per key, whole tokens taken."""

    def __init__(self, clock: Clock, burst: int, per_second: float) -> None:
        self.clock, self.burst, self.per_second = clock, burst, per_second
        self.levels: dict[str, tuple[float, float]] = {}
        self.trips = 0

    async def take(self, key: str, wanted: int) -> tuple[int, float]:
        self.trips += 1
        tokens, at = self.levels.get(key, (float(self.burst), self.clock.now))
        level = min(self.burst, tokens + (self.clock.now - at) * self.per_second)
        granted = min(wanted, int(level))
        self.levels[key] = (level - granted, self.clock.now)
        return granted, 0.0 if granted else (1 - level) / self.per_second


async def test_a_lease_spends_several_tokens_per_round_trip() -> None:
    clock = Clock()
    bucket = SharedBucket(clock, burst=10, per_second=1)
    limit = ApiLimit(bucket.take, lease=5, clock=clock)
    assert [await limit.take("a") for _ in range(10)] == [0.0] * 10
    assert bucket.trips == 2
    assert await limit.take("a") == pytest.approx(1.0)  # the bucket is empty
    assert await limit.take("b") == 0  # each address has its own bucket


async def test_a_refused_address_is_refused_locally_until_its_bucket_refills() -> None:
    clock = Clock()
    bucket = SharedBucket(clock, burst=2, per_second=2)
    limit = ApiLimit(bucket.take, lease=1, clock=clock)
    await limit.take("a"), await limit.take("a")
    trips = bucket.trips
    assert await limit.take("a") == pytest.approx(0.5)
    assert await limit.take("a") == pytest.approx(0.5)
    assert bucket.trips == trips + 1  # the second refusal cost no round trip
    clock.now += 0.5
    assert await limit.take("a") == 0


async def test_instances_sharing_a_bucket_never_allow_more_than_it_holds() -> None:
    clock = Clock()
    bucket = SharedBucket(clock, burst=20, per_second=1)
    instances = [ApiLimit(bucket.take, lease=3, clock=clock) for _ in range(3)]
    answers = [await limit.take("a") for limit in instances for _ in range(20)]
    assert answers.count(0.0) == 20


async def test_unspent_leases_lapse_and_are_forgotten() -> None:
    clock = Clock()
    bucket = SharedBucket(clock, burst=100, per_second=100)
    limit = ApiLimit(bucket.take, lease=5, lease_ttl_s=1.0, clock=clock)
    await limit.take("a")
    clock.now += 1.5
    await limit.take("b")  # a's lease lapsed: its 4 tokens are not spent later
    trips = bucket.trips
    await limit.take("a")
    assert bucket.trips == trips + 1
    clock.now += ApiLimit.SWEEP_EVERY_S + 2
    await limit.take("c")
    assert len(limit) == 1


def test_only_the_api_counts_against_the_limit() -> None:
    assert counts_against_the_limit("/api/v1/listings")
    assert counts_against_the_limit("/openapi.json")
    for free in ("/", "/js/app.js", "/css/app.1234567890ab.css", "/media/x/160.webp", "/health/ready"):
        assert not counts_against_the_limit(free)


def test_every_file_has_a_fingerprinted_name_that_changes_with_its_content(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("import './core.js';")
    (tmp_path / "js" / "core.js").write_text("export const a = 1;")
    (tmp_path / "index.html").write_text(
        '<head><link rel="icon" href="/js/core.js"><script type="module" src="/js/app.js"></script></head>'
        '<body><a href="/search">Browse</a></body>'
    )
    before = Storefront(tmp_path)
    assert re.fullmatch(r"/js/app\.[0-9a-f]{12}\.js", before.fingerprinted["/js/app.js"])
    page = before.index_html.decode()
    assert f'src="{before.fingerprinted["/js/app.js"]}"' in page and 'href="/search"' in page
    import_map = json.loads(re.search(r'<script type="importmap">(.*?)</script>', page)[1])  # type: ignore[index]
    assert import_map["imports"] == before.fingerprinted
    assert page.index("importmap") < page.index('type="module"')
    (tmp_path / "js" / "core.js").write_text("export const a = 2;")
    after = Storefront(tmp_path)
    assert after.fingerprinted["/js/core.js"] != before.fingerprinted["/js/core.js"]
    assert after.fingerprinted["/js/app.js"] == before.fingerprinted["/js/app.js"]
    assert after.page_headers["Content-Security-Policy"] != before.page_headers["Content-Security-Policy"]
