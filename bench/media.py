"""media: photos processed per second by one media worker, and rendition GETs per second direct
from media and through the gateway, each against a bare baseline measured in the same run.

Inputs: a varied set of N distinct photos (36, `--quick` 12), as makers upload them: studio
shots drawn by the demo renderer (1600x1200 JPEG), phone-camera photos (4032x3024 JPEG with
sensor noise; half stored on their side with EXIF orientation 6), edited exports (2400x1800 JPEG
with an embedded sRGB ICC profile) and PNGs (1600x1200), in that mix.

process. Setup (own namespace): media migrated; one `python -m services.media --role worker`
(MEDIA_PROCESSING_SLOTS 2, the default); the outbox relay run in this process exactly as the
relay role runs it (`shared.outbox.OutboxRelay.run`); a tap queue on the exchange. Each repeat,
a new approved maker uploads the N photos through media's upload use case (originals stored,
images recorded, events in the outbox) while no relay runs; then the relay starts, and the
figure is N over the wall clock from the first `media.image.uploaded` reaching the exchange to
the last `media.image.processed` reaching it. Baseline, interleaved with it:
`python -m bench.bare_media process 2 FILES` (the same decode, orientation, sRGB, four WebP
renditions and placeholder, with Pillow, in two threads of one process: the worker's two
slots). Target >= 0.8x. Beside it, one photo alone (a different one each repeat): seconds from
its uploaded event to its processed event, against the bare time for that photo.

serve. The renditions the process repeats made (four widths of every photo: keys from a few KB
to a few hundred), GET round-robin by 32 concurrent clients (bench/loadgen.py) from
`python -m services.media --role api`, from `python -m services.gateway --role api` in front
of it (rate limits raised: one client address sends everything), and from
`python -m bench.bare_media serve` (aiohttp's FileResponse of the same files). Targets: direct
>= 0.8x bare, gateway >= 0.5x bare (req/s); p50 and p99 beside, and one client alone (p50).
The gateway keeps no renditions, so `gateway` measures its pass-through to media.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
from PIL import Image, ImageChops, ImageCms

from bench.core import Context, compare, migrate_services, namespace, report_serving
from bench.loadgen import Run, closed_loop
from tests.support.harness import AMQP_URL, ServiceProcess, TestEnvironment

CONCURRENCY = 32
SLOTS = 2  # MEDIA_PROCESSING_SLOTS' default: the worker's and the baseline's threads
_KINDS = ("studio", "phone", "studio", "export", "phone_on_its_side", "png")
_WAIT_S = 600.0


# ------------------------------------------------------------------ the photos


def make_photos(directory: Path, count: int) -> list[Path]:
    """`count` distinct photos of the mix the module docstring names."""
    from services.media.demo_photos import CATEGORIES, Piece, Stone, render_product_photo

    metals = (("gold", "yellow"), ("silver", None), ("gold", "rose"), ("platinum", None), ("gold", "white"))
    stones = ((), (Stone("sapphire"),), (Stone("pearl", 4),), (Stone("diamond", 2),), (Stone("emerald"),))
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        metal, colour = metals[n % len(metals)]
        piece = Piece(CATEGORIES[n % len(CATEGORIES)], metal, colour, stones[n % len(stones)])
        kind = _KINDS[n % len(_KINDS)]
        seed = f"bench-{n}"
        if kind == "studio":
            path, data = directory / f"{n}.jpg", render_product_photo(piece, seed)
        elif kind == "export":
            icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
            image = Image.open(io.BytesIO(render_product_photo(piece, seed, size=(2400, 1800), quality=95)))
            path, data = directory / f"{n}.jpg", _encoded(image, "JPEG", quality=92, icc_profile=icc)
        elif kind == "png":
            image = Image.open(io.BytesIO(render_product_photo(piece, seed)))
            path, data = directory / f"{n}.png", _encoded(image, "PNG")
        else:
            path, data = directory / f"{n}.jpg", _phone_photo(piece, seed, kind == "phone_on_its_side")
        path.write_bytes(data)
        paths.append(path)
    return paths


def _encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _phone_photo(piece: Any, seed: str, on_its_side: bool) -> bytes:
    """A 12-megapixel phone photo: the drawing at 4032x3024 with sensor noise, EXIF as a phone
    writes it (and, on its side, the pixels stored turned with orientation 6)."""
    from services.media.demo_photos import render_product_photo

    size = (4032, 3024)
    image = Image.open(io.BytesIO(render_product_photo(piece, seed))).resize(size, Image.Resampling.BICUBIC)
    grain = Image.effect_noise(size, 9).convert("RGB")
    image = ImageChops.add(image, grain, scale=1.0, offset=-128)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Pixel", "Phone 8"  # Make, Model
    if on_its_side:
        image = image.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    return _encoded(image, "JPEG", quality=90, exif=exif)


# ------------------------------------------------------------------ process


@dataclass
class Tap:
    """A queue on the exchange: when each media.image event reached the exchange (this loop's clock)."""

    queue: aio_pika.abc.AbstractQueue
    arrivals: asyncio.Queue[tuple[float, str, str]]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            envelope = json.loads(message.body)
            self.arrivals.put_nowait((loop.time(), envelope["type"], envelope["aggregate_id"]))

        await self.queue.consume(on_message, no_ack=True)

    async def window(self, image_ids: set[str]) -> float:
        """Seconds from the first of these images' uploaded events to the last processed one."""
        first_upload: float | None = None
        waiting = set(image_ids)
        async with asyncio.timeout(_WAIT_S):
            while waiting:
                at, kind, image_id = await self.arrivals.get()
                if image_id not in image_ids:
                    continue
                if kind == "media.image.uploaded" and first_upload is None:
                    first_upload = at
                elif kind == "media.image.failed":
                    raise RuntimeError(f"image {image_id} failed to process")
                elif kind == "media.image.processed":
                    waiting.discard(image_id)
        assert first_upload is not None
        return at - first_upload


class Pipeline:
    """Uploads by a new maker each time, and the relay run only while a batch is measured."""

    def __init__(self, settings: Any, pool: asyncpg.Pool, storage: Any, bus: Any, tap: Tap) -> None:
        self.settings, self.pool, self.storage, self.bus, self.tap = settings, pool, storage, bus, tap

    async def stage(self, paths: list[Path]) -> set[str]:
        """A new approved maker uploads the photos: their events wait in the outbox."""
        from services.media import usecases
        from services.media.store import MakerRecord
        from shared.db import UnitOfWork

        now = datetime.now(UTC)
        maker = MakerRecord(
            id=uuid.uuid4(), user_id=uuid.uuid4(), version=1, status="approved", updated_at=now
        )
        async with UnitOfWork(self.pool, usecases.PRODUCER) as uow:
            await usecases.apply_maker_snapshot(uow, maker)
        ids = set()
        for path in paths:
            image = await usecases.upload_file(
                self.pool, self.storage, maker.user_id, path, self.settings.limits, now
            )
            ids.add(str(image.id))
        return ids

    async def measure(self, image_ids: set[str]) -> float:
        from shared.outbox import OutboxRelay

        relay = asyncio.create_task(OutboxRelay(self.settings, self.pool, self.bus).run())
        try:
            return await self.tap.window(image_ids)
        finally:
            relay.cancel()
            await asyncio.gather(relay, return_exceptions=True)


async def bare_seconds(paths: list[Path]) -> float:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.bare_media",
        "process",
        str(SLOTS),
        *map(str, paths),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"bench.bare_media process exited {process.returncode}")
    return float(json.loads(out)["seconds"])


async def measure_processing(
    ctx: Context, pipeline: Pipeline, photos: list[Path]
) -> tuple[list[float], list[float], list[float], list[float]]:
    rates: list[float] = []
    bare_rates: list[float] = []
    single: list[float] = []
    bare_single: list[float] = []
    bar = ctx.progress(
        total=ctx.repeats * 2, desc=f"media.process ({len(photos)} photos)", unit="run", leave=False
    )
    for repeat in range(ctx.repeats):

        async def subject() -> None:
            rates.append(len(photos) / await pipeline.measure(await pipeline.stage(photos)))

        async def baseline() -> None:
            bare_rates.append(len(photos) / await bare_seconds(photos))

        steps = [baseline, subject] if repeat % 2 == 0 else [subject, baseline]
        for step in steps:
            await step()
            bar.update()
        alone = photos[repeat % len(photos)]
        single.append(await pipeline.measure(await pipeline.stage([alone])))
        bare_single.append(await bare_seconds([alone]))
    bar.close()
    return rates, bare_rates, single, bare_single


# ------------------------------------------------------------------ serve


def start(env: TestEnvironment, module: list[str], port_var: str, name: str, **extra: str) -> ServiceProcess:
    proc = ServiceProcess(
        module, port_var, {**env.env, "MARKET_LOG_LEVEL": "warning"}, env.workdir, name, extra
    )
    return proc.start()


async def measure_serving(
    ctx: Context, urls: dict[str, list[str]], duration_s: float
) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {f"{name}{load}": [] for name in urls for load in ("", ".single")}
    bar = ctx.progress(total=ctx.repeats * len(runs), desc="media.serve", unit="run", leave=False)
    for _ in range(ctx.repeats):
        for name, targets in urls.items():
            for load, clients in (("", CONCURRENCY), (".single", 1)):
                run = await closed_loop(targets, clients, duration_s, warmup_s=1.0)
                if run.errors:
                    raise RuntimeError(f"media.serve {name}: errors {run.errors}")
                runs[f"{name}{load}"].append(run)
                bar.update()
    bar.close()
    return runs


# ------------------------------------------------------------------ run


async def run(ctx: Context) -> None:
    from services.media.storage import open_storage
    from shared.bus import Bus
    from shared.db import create_pool

    count = 12 if ctx.quick else 36
    duration = 3.0 if ctx.quick else 6.0
    async with namespace("bench-media") as env:
        storage_dir = env.workdir / "media"
        env.env["MEDIA_STORAGE_DIR"] = os.environ["MEDIA_STORAGE_DIR"] = str(storage_dir)
        settings = (await migrate_services(env, ["media", "gateway"]))["media"]
        t0 = time.monotonic()
        photos = make_photos(env.workdir / "photos", count)
        megabytes = sum(p.stat().st_size for p in photos) / 1e6
        ctx.log(f"  {count} photos ({megabytes:.0f} MB) made in {time.monotonic() - t0:.0f} s")
        worker = start(env, ["services.media", "--role", "worker"], "MEDIA_PORT", "media-worker")
        processes = [worker]
        pool = await create_pool(settings)
        bus = Bus(settings)
        await bus.connect()
        connection = await aio_pika.connect(AMQP_URL)
        try:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(exchange, "media.image.#")
            tap = Tap(queue, asyncio.Queue())
            await tap.start()
            async with open_storage(settings) as storage:
                pipeline = Pipeline(settings, pool, storage, bus, tap)
                # Warm-up: the worker's first photo loads Pillow's codecs; the bare one's too.
                await pipeline.measure(await pipeline.stage(photos[:1]))
                await bare_seconds(photos[:1])
                rates, bare_rates, single, bare_single = await measure_processing(ctx, pipeline, photos)
            note = (
                f"{count} photos ({megabytes:.0f} MB: studio 1600x1200, phone 4032x3024, export "
                f"2400x1800 with ICC, PNG) per repeat, one worker with {SLOTS} processing slots; wall "
                f"clock from the first uploaded event to the last processed event on the exchange; "
                f"baseline: bare Pillow, same work, {SLOTS} threads in one process"
            )
            ctx.add(
                compare("media.process.photos_per_s", "photos/s", rates, bare_rates, ">= 0.8x", note=note)
            )
            ctx.add(
                compare(
                    "media.process.single_s",
                    "s",
                    single,
                    bare_single,
                    None,
                    note="one photo alone, uploaded event to processed event; baseline: bare Pillow, "
                    "that photo",
                    lower_is_better=True,
                )
            )

            keys = sorted(
                {row["key"] for row in await pool.fetch("SELECT key FROM renditions")},
            )
            api = start(env, ["services.media", "--role", "api"], "MEDIA_PORT", "media-api")
            gateway = start(
                env,
                ["services.gateway", "--role", "api"],
                "GATEWAY_PORT",
                "gateway-api",
                GATEWAY_MEDIA_URL=api.url,
                GATEWAY_RATE_LIMIT_PER_S="1000000",
                GATEWAY_RATE_LIMIT_BURST="1000000",
            )
            bare = start(env, ["bench.bare_media", "serve", str(storage_dir)], "BARE_PORT", "bare-media")
            processes += [api, gateway, bare]
            urls = {
                name: [f"{proc.url}/media/{key}" for key in keys]
                for name, proc in (("bare", bare), ("direct", api), ("gateway", gateway))
            }
            sizes = [(storage_dir / key[:2] / key).stat().st_size for key in keys]
            runs = await measure_serving(ctx, urls, duration)
            report_serving(
                ctx,
                "media.serve",
                runs,
                f"{len(keys)} renditions ({min(sizes) // 1024}-{max(sizes) // 1024} KB) round-robin, "
                f"{CONCURRENCY} concurrent clients, {duration:.0f} s per run; baseline: bare aiohttp "
                "FileResponse of the same files",
            )
        finally:
            for proc in processes:
                proc.stop()
            await connection.close()
            await bus.close()
            await pool.close()
