"""`python -m bench [--only relay,memory,search,saga,media,payouts,notifications] [--quick] [--repeats N]`

Runs the chosen benchmarks (all by default), each in its own fresh namespace, with progress
bars; writes bench/results/latest.json and a dated copy, and regenerates the table in
docs/benchmarks.md. Exit status 0 whether or not targets are met (the table says); 1 when a
benchmark itself failed."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import time
import traceback

import structlog
from tqdm import tqdm

from bench import core
from shared.logging import configure_logging

BENCHMARKS = ("relay", "memory", "search", "saga", "media", "payouts", "notifications")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {','.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller data and fewer repeats: a smoke run, not a measurement"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="repeats per figure (default 5, --quick 3); the median is reported",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="no results file, no docs table: print the report (or --out)"
    )
    parser.add_argument("--out", default=None, help="with --no-write: write the report to this file instead")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    args.repeats = args.repeats or (3 if args.quick else 5)
    return args


async def main(argv: list[str]) -> int:
    args = parse(argv)
    # The runtime's own log lines (migrations, relay warnings) go to stderr at warning and
    # above, out of the way of the progress bars and the report.
    configure_logging("bench", "warning")
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    started_at = core.now_iso()
    machine = await core.machine()
    ctx = core.Context(quick=args.quick, repeats=args.repeats, progress=tqdm, log=tqdm.write)
    failed: list[str] = []
    timings: dict[str, float] = {}
    for name in tqdm(args.only, desc="benchmarks", unit="bench"):
        tqdm.write(f"== {name}")
        module = importlib.import_module(f"bench.{name}")
        t0 = time.monotonic()
        try:
            await module.run(ctx)
        except Exception:
            failed.append(name)
            tqdm.write(f"{name}: FAILED\n{traceback.format_exc()}")
        timings[name] = round(time.monotonic() - t0, 1)
    report = {
        "machine": machine,
        "started_at": started_at,
        "finished_at": core.now_iso(),
        "quick": args.quick,
        "repeats": args.repeats,
        "benchmarks": args.only,
        "seconds": timings,
        "failed": failed,
        "skipped": ctx.skipped,
        "results": [r.as_json() for r in ctx.results],
    }
    if args.no_write:
        if args.out:
            with open(args.out, "w") as f:
                json.dump(report, f, indent=2)
        else:
            print(json.dumps(report, indent=2))
    else:
        previous_path = core.RESULTS_DIR / "latest.json"
        previous = json.loads(previous_path.read_text()) if previous_path.exists() else None
        rows = core.merged_for_table(report, previous)
        latest, dated = core.write_results(report, rows)
        core.update_doc(core.render_table(rows, report))
        print(
            f"results: {latest.relative_to(core.ROOT)} and {dated.relative_to(core.ROOT)}; "
            f"table: {core.DOC.relative_to(core.ROOT)}"
        )
    for r in ctx.results:
        flag = "" if r.met is None else ("ok " if r.met else "LOW")
        ratio = "" if r.ratio is None else f" ratio {r.ratio:.2f}" + (f" ({r.target})" if r.target else "")
        print(f"{flag:4}{r.name}: {r.value:,.2f} {r.unit}{ratio}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
