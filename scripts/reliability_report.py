"""Write docs/reliability.md from a reliability run's results.

    python -m scripts.reliability_report --write docs/reliability.md [--results DIR]

Reads the per-scenario JSON the scenarios write (test-artifacts/reliability/<scenario>.json)
and the run's JUnit XML (security, least privilege, Schemathesis, races), and renders one page:
the commit, date, machine (cores, memory) and mode (quick or full) of the run; per scenario the
load, the faults injected, orders placed, lost, duplicated, oversold, charged or refunded twice,
events lost, how long it took to settle (with the harness's polling floor) and the result; the
soaks' verdicts with their charts (docs/reliability/soak-<N>min*, tests/reliability/soak/);
then every other check's outcome.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from ops.provenance import git_commit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "test-artifacts" / "reliability"
# The soaks' samples, charts and verdicts (make soak, and the short soak of make reliability).
SOAK_DIR = ROOT / "docs" / "reliability"

ORDER = [
    "broker_restarted_twice",
    "orders_worker_killed_mid_saga",
    "catalogue_worker_killed_after_commit_before_ack",
    "orders_relay_killed_after_publish_before_mark",
    "db_connections_terminated",
    "gateway_upstream_latency",
    "worker_links_blackholed_and_reset",
    "stateful_api",
]


def _load(results: Path) -> list[dict]:
    found = {p.stem: json.loads(p.read_text()) for p in results.glob("*.json")}
    return [found[name] for name in ORDER if name in found] + [
        found[name] for name in sorted(found) if name not in ORDER
    ]


def _junit_started(results: Path) -> str | None:
    """When the run's tests started (the JUnit suite's timestamp), in UTC."""
    path = results / "junit.xml"
    if not path.exists():
        return None
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    stamp = suite.get("timestamp") if suite is not None else None
    if not stamp:
        return None
    when = datetime.fromisoformat(stamp)
    if when.tzinfo is None:
        when = when.astimezone()  # pytest writes the local time without a zone
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _machine() -> str:
    memory_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    memory = f"{memory_kib / 1024 / 1024:.1f} GiB memory" if memory_kib else "memory unknown"
    return f"{os.cpu_count()} cores, {memory}, {platform.system()} {platform.machine()}"


def _stateful(r: dict) -> bool:
    """The Hypothesis state machine: generated sequences of actions, no fault injected."""
    return "actions" in r


def _load_text(r: dict) -> str:
    if _stateful(r):
        sequences = r.get("sequences") or "; ".join(r.get("faults", []))
        return (
            f"{sequences}; {r.get('orders_attempted')} checkouts, each by a new customer, "
            f"in {r.get('load_seconds')} s"
        )
    profile = r.get("profile", {})
    return (
        f"{profile.get('customers')} customers, {r.get('orders_attempted')} checkouts in "
        f"{r.get('load_seconds')} s"
    )


def _faults_text(r: dict) -> str:
    if _stateful(r):
        return "none (generated API actions only; no fault injected)"
    return "; ".join(r.get("faults", [])) or "none"


def _settled_text(r: dict) -> str:
    """Settled in, with the floor the harness can see: it polls every `floor` seconds."""
    seconds = r.get("settle_seconds")
    if seconds is None:
        return "–"
    floor = r.get("settle_poll_floor_seconds")
    if floor is None:
        return f"{seconds} s (polling floor not recorded)"
    if seconds <= floor:
        return f"≤ {floor} s (within one poll)"
    return f"{seconds} s (± {floor} s)"


def _soaks(soak_dir: Path) -> list[dict]:
    found = []
    for path in sorted(soak_dir.glob("soak-*min.json")):
        with contextlib.suppress(ValueError, OSError):
            data = json.loads(path.read_text())
            data["_path"] = path
            found.append(data)
    return sorted(found, key=lambda d: -float(d.get("minutes", 0)))


def _steepest(verdict: dict) -> str:
    """The process whose memory grew fastest over the last two thirds of a soak."""
    slopes = verdict.get("rss_slopes", [])
    if not slopes:
        return "not recorded"
    s = max(slopes, key=lambda s: s["mib_per_hour"])
    judged = "" if s["ok"] is not None else "; too short a window to judge"
    minutes = s["window_s"] / 60
    return (
        f"{s['series']} {s['mib_per_hour']} MiB/h over {minutes:.0f} min (bound {s['bound']} MiB/h{judged})"
    )


def _soak_section(soaks: list[dict], page_dir: Path) -> list[str]:
    lines = [
        "## Soak: nothing grows without bound",
        "",
        "Steady mixed load through the gateway (browse, search, checkout, fulfil to delivery, return "
        "and refund), sampled every 10 s: resident memory of every process, latency percentiles per "
        "kind of request, every queue's depth, each outbox's oldest unsent row, PostgreSQL "
        "connections per service (tests/reliability/soak/). The verdict compares the median of "
        "each series over the last third of the load with its middle third (the first third is "
        "warm-up) against explicit bounds, bounds the slope of each process's memory over the last "
        "two thirds (least squares, MiB per hour; judged over 10 minutes or more), and fails when "
        "anything is left in a queue or an outbox "
        "after the load, anything was parked, or more than 1% of requests failed. `make soak` runs "
        "30 minutes; `make reliability` 3.",
        "",
    ]
    if not soaks:
        return [*lines, "No soak has been run yet (`make soak`).", ""]
    lines += [
        "| Soak | Commit | Run | Machine | Requests (failed) | Orders placed | Drained after | Verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in soaks:
        v = d.get("verdict", {})
        m = d.get("machine", {})
        placed = d.get("outcomes", {}).get("checkout 201", "–")
        drained = d.get("drained_after_s")
        when = d.get("started_at", "")[:16].replace("T", " ")
        lines.append(
            f"| {d.get('minutes'):g} min | {d.get('commit')} | {when} "
            f"UTC | {m.get('cores')} cores, {m.get('memory_gib')} GiB | {v.get('requests')} "
            f"({v.get('errors')}) | {placed} | {'–' if drained is None else f'{drained} s'} | "
            f"**{v.get('result')}** |"
        )
    for d in soaks:
        v = d.get("verdict", {})
        label = d["_path"].stem
        rel = os.path.relpath(d["_path"].parent, page_dir)
        checks = v.get("checks", [])
        worst: dict[str, dict] = {}
        for c in checks:
            headroom = c["bound"] - c["last_median"]
            if (
                c["family"] not in worst
                or headroom < worst[c["family"]]["bound"] - worst[c["family"]]["last_median"]
            ):
                worst[c["family"]] = c
        lines += [
            "",
            f"### {d.get('minutes'):g}-minute soak at {d.get('commit')}",
            "",
            f"- Load: {d.get('makers')} makers, {d.get('listings')} listings; actors {d.get('rates')}; "
            f"requests per kind { ({k: t['requests'] for k, t in d.get('totals', {}).items()}) }",
            f"- Outcomes: {d.get('outcomes')}",
            f"- PostgreSQL: {d.get('postgresql') or 'not recorded'}",
            f"- Verdict: **{v.get('result')}**"
            + (f": {'; '.join(v['failures'])}" if v.get("failures") else f" ({len(checks)} series judged)"),
            "- Closest to its bound, per family (last-third median vs bound = middle third × (1 + ratio) "
            "+ slack): "
            + "; ".join(
                f"{fam} {c['series']} {c['last_median']} (middle {c['middle_median']}, bound {c['bound']})"
                for fam, c in worst.items()
            ),
            f"- Memory's steepest slope over the last two thirds (least squares): {_steepest(v)}",
            f"- Samples: [{label}.json]({rel}/{label}.json), [{label}.csv]({rel}/{label}.csv)",
            "",
        ]
        for chart in d.get("charts", []):
            what = chart.removeprefix(label + "-").removesuffix(".png")
            lines.append(f"![{d.get('minutes'):g}-minute soak: {what}]({rel}/{chart})")
        lines.append("")
    return lines


def _junit(results: Path) -> list[tuple[str, str, str, float]]:
    path = results / "junit.xml"
    if not path.exists():
        return []
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = {"failure": "FAILED", "error": "ERROR", "skipped": "skipped"}[tag]
        cases.append((case.get("classname", ""), case.get("name", ""), outcome, float(case.get("time", 0))))
    return cases


def _module(classname: str) -> str:
    """The row of the table a test case counts in: its module (the classname's last part), or,
    for a module of a test package in a suite (tests/integration/test_security_api/test_*.py, one
    module split by topic), the package, so that it keeps the one row and name it had."""
    parts = classname.split(".")
    if len(parts) >= 4 and parts[0] == "tests" and parts[3].startswith("test_"):
        return parts[2]
    return parts[-1]


def _states(result: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(result.get("order_states", {}).items()))


def render(results: Path, soak_dir: Path = SOAK_DIR, page_dir: Path = ROOT / "docs") -> str:
    scenarios = _load(results)
    cases = _junit(results)
    modes = sorted({r.get("mode", "?") for r in scenarios})
    mode = " and ".join(modes) if modes else "none (no scenario results)"
    commits = sorted({r["commit"] for r in scenarios if r.get("commit")})
    commit = ", ".join(commits) if commits else git_commit() or "unknown"
    started = _junit_started(results)
    floors = sorted({r["settle_poll_floor_seconds"] for r in scenarios if "settle_poll_floor_seconds" in r})
    lines = [
        "# Reliability and security",
        "",
        "<!-- Written by `make reliability` (scripts/reliability_report.py); do not edit by hand. -->",
        "",
        f"- Commit: **{commit}**"
        + (" (`+dirty`: code in the working tree differed from it)" if "+dirty" in commit else ""),
        f"- Run started: {started or 'unknown'}; "
        f"page written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {_machine()}, Python {platform.python_version()}",
        f"- Mode: **{mode}** (quick: the short scenarios of `make test`; full: `make reliability`)",
        "- Settled in: seconds from the end of the load until the oracle's poll sees every order "
        "settled; it polls every "
        + (" / ".join(f"{f} s" for f in floors) if floors else "(floor not recorded)")
        + ", so a figure is late by at most that (and one query), and a figure within one poll is "
        "written as ≤ the floor.",
        "",
        "Every scenario runs the whole marketplace "
        "as real processes (makers, the gateway, and catalogue and orders each split into api, worker "
        "and relay processes) against PostgreSQL and RabbitMQ, with tens of customers ordering from "
        "several makers through the gateway while the faults are injected; after the load it waits "
        "(within a bound) for every order to settle, has a share of the confirmed orders cancelled, "
        "declined or fulfilled to delivery, and then an oracle reads every schema and checks the "
        "invariants: no order lost or duplicated, none left pending, stock never oversold or lost, "
        "no double charge or refund and nothing kept for a cancelled order, payout ledgers adding up, "
        "every event delivered (and applied) once, nothing parked.",
        "",
        "## Scenarios",
        "",
        "| Scenario | Load | Faults injected | Placed | Lost | Duplicated | Oversold "
        "| Double charge / refund | Events lost / parked | Settled in | Result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in scenarios:
        lines.append(
            f"| {r['title']} | {_load_text(r)} | {_faults_text(r)} | {r.get('orders_placed')} | "
            f"{r.get('orders_lost')} | {r.get('orders_duplicated')} | {r.get('units_oversold')} | "
            f"{r.get('double_charges')} / {r.get('double_refunds')} | "
            f"{r.get('events_lost')} / {r.get('events_parked')} | {_settled_text(r)} | "
            f"**{r['result']}** |"
        )
    lines += ["", "## Details", ""]
    for r in scenarios:
        profile = r.get("profile", {})
        traffic = r.get("traffic", {})
        checkout = r.get("checkout_seconds", {})
        care = r.get("aftercare", {})
        lines += [
            f"### {r['title']} (`{r['scenario']}`)",
            "",
            f"- Load: {_load_text(r)}",
            f"- Faults: {_faults_text(r)}",
            f"- Orders: {r.get('orders_attempted')} checkouts, {r.get('orders_placed')} placed, refused at "
            f"checkout {r.get('refused_at_checkout') or {}}; final states: {_states(r)}",
            f"- After the load: {care.get('cancelled', 0)} cancelled by customers, {care.get('declined', 0)} "
            f"maker orders declined, {care.get('delivered', 0)} delivered (payout entries "
            f"{r.get('payout_entries')}, errors {r.get('payout_errors')})"
            if care
            else f"- Actions: {r.get('actions', {})}",
            f"- Stock: {r.get('units_stocked')} units stocked, {r.get('units_sold')} sold, "
            f"{r.get('units_oversold')} oversold, {r.get('units_lost')} lost; stock moves applied twice: "
            f"{r.get('stock_moves_applied_twice')}",
            f"- Payments: {r.get('payments_authorised')} authorised, {r.get('double_charges')} double "
            f"charges, {r.get('double_refunds')} double refunds, {r.get('cancelled_but_still_charged')} "
            f"cancelled orders still charged",
            f"- Events: {r.get('events_published')} published for these orders, {r.get('events_lost')} "
            f"lost, {r.get('events_parked')} parked",
            f"- HTTP: {traffic.get('requests')} requests, {traffic.get('retries')} client retries, statuses "
            f"{traffic.get('statuses')}, connection errors {traffic.get('errors') or 'none'}; checkout "
            f"p50 {checkout.get('p50')} s, p95 {checkout.get('p95')} s, max {checkout.get('max')} s "
            "(retries included)",
            f"- Settled in {_settled_text(r)} after the load's end (bound {profile.get('settle_s')} s)",
            f"- Result: **{r['result']}**"
            + (f": {'; '.join(r['violations'][:5])}" if r.get("violations") else ""),
            "",
        ]
    lines += _soak_section(_soaks(soak_dir), page_dir)
    if cases:
        suites: dict[str, list[tuple[str, str, float]]] = {}
        for classname, name, outcome, seconds in cases:
            suites.setdefault(_module(classname), []).append((name, outcome, seconds))
        lines += [
            "## Every check of the run",
            "",
            "| Module | Checks | Passed | Failed | Skipped | Seconds |",
            "|---|---|---|---|---|---|",
        ]
        for suite, items in sorted(suites.items()):
            passed = sum(1 for _, o, _ in items if o == "passed")
            failed = sum(1 for _, o, _ in items if o in ("FAILED", "ERROR"))
            skipped = sum(1 for _, o, _ in items if o == "skipped")
            lines.append(
                f"| {suite} | {len(items)} | {passed} | {failed} | {skipped} | "
                f"{sum(s for *_, s in items):.1f} |"
            )
        failing = [(c, n) for c, n, o, _ in cases if o in ("FAILED", "ERROR")]
        if failing:
            lines += ["", "Failing: " + ", ".join(f"`{c}::{n}`" for c, n in failing)]
        lines.append("")
    lines += [
        "## What the other checks cover",
        "",
        "- `test_security_api`: an object-level authorisation matrix over every endpoint that takes an "
        "id (two makers, a maker still in draft, two customers, an operator, anonymous: 401 anonymous, "
        "403 wrong role, 404 someone else's object, and nothing changed); lists showing only the "
        "caller's own; mass assignment on every write (status, ids, owners, prices, role, version... "
        "422 `extra_forbidden`, nothing created or changed); token attacks (alg none, HS256 keyed with "
        "the public key, another key, edited claims, expired, wrong issuer or audience, unknown or no "
        "role, garbage); no role escalation; sign-in and per-address rate limits (429 with Retry-After); "
        "hostile bodies on every write (malformed, not UTF-8, 40 and 5000 levels deep, NUL, unpaired "
        "surrogates, 100k-character strings, SQL metacharacters, over the size limit, wrong types, "
        "huge numbers), hostile ids and query values, forged cursors on every list: never a 5xx, "
        "always application/problem+json.",
        "- `test_security_least_privilege`: each real service's runtime role, from the PostgreSQL "
        "catalogue: no superuser, CREATEROLE, CREATEDB, BYPASSRLS or replication, member of no role, "
        "USAGE on its own schema only, CREATE nowhere, no privilege on another schema's tables, owns "
        "nothing, no TEMPORARY; and refused in practice.",
        "- `test_schemathesis_api`: Schemathesis over the gateway's merged /openapi.json, valid and "
        "invalid requests to every operation, each sent as anonymous, customer, maker and operator: "
        "no 5xx, status codes, content types and bodies as documented, invalid data rejected.",
        "- `test_stateful`: a Hypothesis state machine over the public API, no fault injected: "
        "generated sequences of actions (how many, and of which kinds, in its row and details) in "
        "which makers onboard and publish listings (short runs, one-offs, made to order), each order "
        "is placed by a new customer (and replayed with its Idempotency-Key), orders are cancelled, "
        "declined or fulfilled to delivery, and makers are suspended and reinstated; judged at the "
        "end by the same oracle.",
        "- `test_races`: the races the scenarios found, pinned down deterministically.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="the page to write (default: print it)")
    parser.add_argument(
        "--results", type=Path, default=Path(os.environ.get("RELIABILITY_RESULTS", DEFAULT_RESULTS))
    )
    parser.add_argument("--soaks", type=Path, default=SOAK_DIR, help="where the soaks' results are")
    args = parser.parse_args()
    page = render(args.results, args.soaks, (args.write or ROOT / "docs" / "x").resolve().parent)
    if args.write:
        args.write.write_text(page)
        print(f"{args.write}: written from {args.results}")
    else:
        print(page)


if __name__ == "__main__":
    main()
