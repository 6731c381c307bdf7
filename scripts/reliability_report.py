"""Write docs/reliability.md from a reliability run's results.

    python -m scripts.reliability_report --write docs/reliability.md [--results DIR]

Reads the per-scenario JSON the scenarios write (test-artifacts/reliability/<scenario>.json)
and the run's JUnit XML (security, least privilege, Schemathesis, races), and renders one page:
per scenario the load, the faults injected, orders placed, lost, duplicated, oversold, charged or
refunded twice, events lost, and the result; then every other check's outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from ops.provenance import git_commit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "test-artifacts" / "reliability"

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


def _states(result: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(result.get("order_states", {}).items()))


def render(results: Path) -> str:
    scenarios = _load(results)
    cases = _junit(results)
    mode = scenarios[0]["mode"] if scenarios else "none"
    lines = [
        "# Reliability and security",
        "",
        "<!-- Written by `make reliability` (scripts/reliability_report.py); do not edit by hand. -->",
        "",
        f"Run of {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} at commit "
        f"{git_commit() or 'unknown'} on {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, mode **{mode}**. Every scenario runs the whole marketplace "
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
        profile = r.get("profile", {})
        load = (
            f"{profile.get('customers')} customers, {r.get('orders_attempted')} checkouts in "
            f"{r.get('load_seconds')} s"
        )
        faults = "; ".join(r.get("faults", [])) or "none"
        lines.append(
            f"| {r['title']} | {load} | {faults} | {r.get('orders_placed')} | {r.get('orders_lost')} | "
            f"{r.get('orders_duplicated')} | {r.get('units_oversold')} | "
            f"{r.get('double_charges')} / {r.get('double_refunds')} | "
            f"{r.get('events_lost')} / {r.get('events_parked')} | {r.get('settle_seconds', '–')} s | "
            f"**{r['result']}** |"
        )
    lines += ["", "## Details", ""]
    for r in scenarios:
        traffic = r.get("traffic", {})
        checkout = r.get("checkout_seconds", {})
        care = r.get("aftercare", {})
        lines += [
            f"### {r['title']} (`{r['scenario']}`)",
            "",
            f"- Faults: {'; '.join(r.get('faults', [])) or 'none'}",
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
            f"- Settled within {r.get('settle_seconds', '–')} s of the load's end (bound "
            f"{profile.get('settle_s')} s)",
            f"- Result: **{r['result']}**"
            + (f": {'; '.join(r['violations'][:5])}" if r.get("violations") else ""),
            "",
        ]
    if cases:
        suites: dict[str, list[tuple[str, str, float]]] = {}
        for classname, name, outcome, seconds in cases:
            suites.setdefault(classname.rsplit(".", 1)[-1], []).append((name, outcome, seconds))
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
        "- `test_stateful`: a Hypothesis state machine over the public API (onboard makers, publish "
        "listings, order, cancel, decline, fulfil, suspend and reinstate makers) judged by the same "
        "oracle.",
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
    args = parser.parse_args()
    page = render(args.results)
    if args.write:
        args.write.write_text(page)
        print(f"{args.write}: written from {args.results}")
    else:
        print(page)


if __name__ == "__main__":
    main()
