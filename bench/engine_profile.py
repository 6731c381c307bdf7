"""The search engine's CPU per query, in-process: `SearchIndex.search` over the 3,000 queries of
`search.varied` (bench/search_queries.py) and page 2 of every tenth, at 10k, 100k and 1M
listings, per phase, with every answer recorded so two variants can be compared for exactness.

Not a `make bench` figure: no HTTP, no service around the engine, no concurrency. It says where
the engine's own time goes (under 32 clients on 2 cores p50 follows the CPU per request).

    python -m bench.engine_profile build DIR [--sizes 10000,100000,1000000]
    python -m bench.engine_profile measure DIR SIZE OUT.json [--baseline COMMIT] [--other DIR2]
    python -m bench.engine_profile compare A.json B.json

`build`: the bench's own listings (bench/listings.py: templates made by the catalogue's code in
a database of its own, dropped at the end), cloned in-process as `Loader` clones them, each
clone's search row made a document by `engine.document` and indexed as a replica's rebuild
indexes (`replica.bulk_writer`, `replica.finish_bulk`) into DIR/<size>. Build once, measure
often (1M takes several minutes and a few GiB).

`measure`: one unmeasured pass (the index's files in the page cache), then the queries in bench
order, each query's page 2 (by its cursor) right after page 1 as a run of the bench sends them,
so page 2 finds the total and facets counted. CPU time (`time.thread_time`) per phase: `scored`
(the ranked page), `aggregate` (total and facets), `ordered` (a sorted page), `did_you_mean`,
`ids` (listing ids of the page), `rest` (parsing, building the query). With `--baseline`, the
engine.py of that commit (same index, same query.py) is measured too, interleaved in blocks of
50 queries (the shared machine's load falls on both alike); with `--other`, the current engine
over DIR2/<size> too (another build of the index), alike. OUT.json holds every run.

`compare`: totals, facets, did_you_mean and pages of two recorded runs, query by query.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import tantivy

from bench.search_queries import path, queries
from services.catalogue.schemas.search import SearchQuery
from services.catalogue.search import engine
from services.catalogue.search.replica import bulk_writer, finish_bulk

SIZES = (10_000, 100_000, 1_000_000)
BLOCK = 50  # queries per turn when two engines are interleaved
PHASES = ("scored", "aggregate", "ordered", "did_you_mean", "ids")

# --- build -----------------------------------------------------------------------------------------


async def _make_templates() -> tuple[Any, ...]:
    """The bench's template listings, made in a database of their own (dropped after)."""
    import asyncpg

    from bench.core import migrate_services, namespace
    from bench.listings import make_templates
    from tests.support.harness import admin_dsn

    async with namespace("engine-profile") as env:
        settings = await migrate_services(env, ["catalogue"])
        admin = await asyncpg.connect(admin_dsn(env.database))
        try:
            return await make_templates(settings["catalogue"], admin)
        finally:
            await admin.close()


def _templates(directory: Path) -> tuple[Any, list[str]]:
    """A Loader of the templates (made once, kept in DIR/templates.pickle for later builds) and
    the columns of their search rows."""
    from bench.listings import Loader

    kept = directory / "templates.pickle"
    if not kept.exists():
        directory.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(pickle.dumps(asyncio.run(_make_templates())))
    templates, maker_row, columns = pickle.loads(kept.read_bytes())
    # Cloning reads no database: the loader is given none.
    return Loader(cast(Any, None), templates, maker_row, columns), columns["listing_search"]


def _array(text: str) -> list[str]:
    """A PostgreSQL text[] in COPY text ({a,"b c"}) as a list (the terms hold no backslashes)."""
    out, item, quoted, inside = [], "", False, text[1:-1]
    for char in inside:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            out.append(item)
            item = ""
        else:
            item += char
    return [*out, item] if inside else out


def _copy_value(text: str) -> str | None:
    if text == "\\N":
        return None
    return text.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")


def rows(loader: Any, columns: list[str], size: int, seed: int = 5) -> Iterator[dict[str, Any]]:
    """The search rows of clones 0..size-1, as the bench's COPY would write them."""
    rng = random.Random(seed)
    loader.makers = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(max(20, size // 200))]
    from bench.listings import photo_ids

    loader.photos_of = {maker: photo_ids(maker) for maker in loader.makers}
    parsed: dict[int, dict[str, Any]] = {}
    for i in range(size):
        slots = loader.clone(i)
        template = slots["template"]
        base = parsed.get(id(template))
        if base is None:
            # The line with its slots as markers, split into columns once per template.
            parts = template.lines["listing_search"]
            line = "".join(part if k % 2 == 0 else f"\x02{part}\x02" for k, part in enumerate(parts))
            base = parsed[id(template)] = dict(zip(columns, line.split("\t"), strict=True))
        row: dict[str, Any] = {}
        for column, raw in base.items():
            if raw.startswith("\x02") and raw.endswith("\x02"):
                raw = slots[raw[1:-1]]
            elif "\x02" in raw:
                for name in ("maker", "photo0", "photo1"):
                    raw = raw.replace(f"\x02{name}\x02", slots[name])
            row[column] = raw
        yield {
            "listing_id": uuid.UUID(row["listing_id"]),
            "visible": row["visible"] in ("t", "true"),
            "published_at": datetime.fromisoformat(row["published_at"]),
            "price_amount": int(row["price_amount"]),
            "terms": _array(row["terms"]),
            "title": _copy_value(row["title"]),
            "attributes": _copy_value(row["attributes"]),
            "description": _copy_value(row["description"]),
            "rating_average": float(row["rating_average"]),
            "rating_count": int(row["rating_count"]),
        }


def build(directory: Path, sizes: list[int]) -> None:
    loader, columns = _templates(directory)
    schema = engine.build_schema()
    for size in sizes:
        started = time.perf_counter()
        folder = directory / str(size)
        folder.mkdir(parents=True)
        index = tantivy.Index(schema, path=str(folder))
        writer = bulk_writer(index)
        count = 0
        for row in rows(loader, columns, size):
            if row["visible"]:
                writer.add_document(engine.document(row, schema))
                count += 1
        finish_bulk(writer)
        index.reload()
        segments = index.searcher().num_segments
        print(f"{size:,}: {count:,} documents, {segments} segments, {time.perf_counter() - started:.0f} s")


# --- measure ---------------------------------------------------------------------------------------


class Phases:
    """CPU seconds per phase: a phase's own time, without the phases it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[list[Any]] = []  # [phase, started, children's time]

    def enter(self, phase: str) -> None:
        self._stack.append([phase, time.thread_time(), 0.0])

    def leave(self) -> None:
        phase, started, children = self._stack.pop()
        spent = time.thread_time() - started
        self.seconds[phase] += spent - children
        if self._stack:
            self._stack[-1][2] += spent

    def timed(self, phase: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.enter(phase)
            try:
                return call(*args, **kwargs)
            finally:
                self.leave()

        return wrapper


class _Searcher:
    """A snapshot whose `search` calls made by `search` itself (the ordered page) are timed."""

    def __init__(self, searcher: Any, phases: Phases) -> None:
        self._searcher = searcher
        self._phases = phases

    def __getattr__(self, name: str) -> Any:
        return getattr(self._searcher, name)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        if len(self._phases._stack) == 1:  # called by `search` itself, not by a phase
            return self._phases.timed("ordered", self._searcher.search)(*args, **kwargs)
        return self._searcher.search(*args, **kwargs)


def instrumented(module: ModuleType, index: tantivy.Index, phases: Phases) -> Any:
    """A SearchIndex of `module` over `index` whose phases are timed."""
    searches = module.SearchIndex(index)
    methods = {"_ranked": "scored", "_aggregate": "aggregate", "_did_you_mean": "did_you_mean", "_ids": "ids"}
    for method, phase in methods.items():
        if hasattr(searches, method):
            call = getattr(searches, method)
            if phase == "aggregate":
                # Within did_you_mean, its aggregation is did_you_mean's own time.
                call = _unless_within(phases, "did_you_mean", phases.timed(phase, call), call)
            else:
                call = phases.timed(phase, call)
            setattr(searches, method, call)
    snapshot = searches._snapshot
    searches._snapshot = lambda generation: (lambda g, s: (g, _Searcher(s, phases)))(*snapshot(generation))
    searches.search = phases.timed("rest", searches.search)
    return searches


def _unless_within(phases: Phases, outer: str, timed: Callable[..., Any], plain: Callable[..., Any]) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        if any(frame[0] == outer for frame in phases._stack):
            return plain(*args, **kwargs)
        return timed(*args, **kwargs)

    return call


def _request(params: dict[str, Any]) -> tuple[Any, Any, int]:
    query = SearchQuery(**params)
    filters = engine.Filters(**query.model_dump(exclude={"limit", "cursor", "sort"}))
    return filters, engine.Sort(query.sort) if query.sort else None, query.limit


def _answer(page: Any) -> dict[str, Any]:
    return {
        "total": page.total,
        "facets": {name: [[c.value, c.count] for c in counts] for name, counts in page.facets.items()},
        "ids": [str(i) for i in page.listing_ids],
        "more": page.next_cursor is not None,
        "did_you_mean": page.did_you_mean,
    }


def _ask(searches: Any, k: int, params: dict[str, Any], answers: dict[str, Any], times: list[float]) -> None:
    """Page 1 of a query, and page 2 of every tenth (right after, as the bench sends it)."""
    filters, sort, limit = _request(params)
    started = time.thread_time()
    page = searches.search(filters, sort, None, limit)
    times.append(time.thread_time() - started)
    answers[path(params)] = _answer(page)
    if k % 10 == 0 and page.next_cursor:
        started = time.thread_time()
        second = searches.search(filters, sort, page.next_cursor, limit)
        times.append(time.thread_time() - started)
        answers[path(params) + "#2"] = _answer(second)


def _load_engine(commit: str) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{commit}:services/catalogue/search/engine.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    file = Path(tempfile.mkdtemp()) / f"engine_{commit[:8]}.py"
    file.write_text(source)
    spec = importlib.util.spec_from_file_location(file.stem, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module
    spec.loader.exec_module(module)
    return module


def measure(directory: Path, size: int, out: Path, baseline: str | None, other: Path | None) -> None:
    index = tantivy.Index.open(str(directory / str(size)))
    chosen = queries()
    # name -> (engine module, index)
    variants: dict[str, tuple[ModuleType, tantivy.Index]] = {"current": (engine, index)}
    if baseline:
        variants = {f"baseline {baseline}": (_load_engine(baseline), index), **variants}
    if other:
        variants[f"current on {other}"] = (engine, tantivy.Index.open(str(other / str(size))))
    for _, searched in variants.values():
        warm = engine.SearchIndex(searched)
        for params in chosen:
            filters, sort, limit = _request(params)
            warm.search(filters, sort, None, limit)
    results: dict[str, Any] = {}
    runs: dict[str, tuple[Phases, dict[str, Any], list[float]]] = {
        name: (Phases(), {}, []) for name in variants
    }
    searches = {
        name: instrumented(module, searched, runs[name][0]) for name, (module, searched) in variants.items()
    }
    for start in range(0, len(chosen), BLOCK):
        for name in variants:
            phases, answers, times = runs[name]
            for k in range(start, min(start + BLOCK, len(chosen))):
                _ask(searches[name], k, chosen[k], answers, times)
    for name, (phases, answers, times) in runs.items():
        requests = len(times)
        per = {phase: round(1000 * phases.seconds[phase] / requests, 3) for phase in (*PHASES, "rest")}
        results[name] = {
            "size": size,
            "segments": variants[name][1].searcher().num_segments,
            "requests": requests,
            "cpu_ms_per_request": round(1000 * sum(times) / requests, 3),
            "median_ms": round(1000 * statistics.median(times), 3),
            "phase_ms_per_request": per,
            "answers": answers,
        }
        print(
            f"{name} at {size:,} ({results[name]['segments']} segments): "
            f"{results[name]['cpu_ms_per_request']} ms CPU a request (median "
            f"{results[name]['median_ms']}); per phase {per}"
        )
    out.write_text(json.dumps(results))


def compare(first: Path, second: Path) -> None:
    """Every pair of runs across the two files (or the two runs of one file), query by query."""
    runs = {
        f"{file.name}:{name}": run
        for file in (first, second)
        for name, run in json.loads(file.read_text()).items()
    }
    names = list(runs)
    a, b = runs[names[0]], runs[names[-1]]
    differ: dict[str, list[str]] = defaultdict(list)
    for key, answer in a["answers"].items():
        other = b["answers"].get(key)
        if other is None:
            differ["missing"].append(key)
            continue
        for part in ("total", "facets", "did_you_mean", "more", "ids"):
            if answer[part] != other[part]:
                differ[part].append(key)
    print(f"{names[0]} vs {names[-1]}: {len(a['answers'])} answers")
    for part in ("missing", "total", "facets", "did_you_mean", "more", "ids"):
        print(
            f"  {part} differ: {len(differ[part])}" + (f" (e.g. {differ[part][:3]})" if differ[part] else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    built = commands.add_parser("build")
    built.add_argument("directory", type=Path)
    built.add_argument("--sizes", default=",".join(map(str, SIZES)))
    measured = commands.add_parser("measure")
    measured.add_argument("directory", type=Path)
    measured.add_argument("size", type=int)
    measured.add_argument("out", type=Path)
    measured.add_argument("--baseline")
    measured.add_argument("--other", type=Path)
    compared = commands.add_parser("compare")
    compared.add_argument("first", type=Path)
    compared.add_argument("second", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        build(args.directory, [int(size) for size in args.sizes.split(",")])
    elif args.command == "measure":
        measure(args.directory, args.size, args.out, args.baseline, args.other)
    else:
        compare(args.first, args.second)


if __name__ == "__main__":
    main()
