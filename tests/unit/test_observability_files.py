"""The dashboard and the alerts (deploy/grafana/, deploy/prometheus/) agree with the code: every
metric they name is one the services export at /metrics, the checkout alerts are multi-window
multi-burn-rate alerts on the route that really takes checkouts, and every alert has its
runbook section in docs/operations.md. `promtool check rules` runs too where it is installed;
without it the rules are checked here for shape (no Prometheus needed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY, generate_latest

from ops.services import SERVICE_NAMES, definition

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "marketplace.json"
SCRAPES = ROOT / "deploy" / "prometheus" / "prometheus.yml"
RUNBOOK = ROOT / "docs" / "operations.md"

_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
_PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "bool", "offset", "inf", "nan"}
_DURATION = re.compile(r"^\d+[smhdw]$")


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """The sample names of /metrics in a process that loaded every service (what each exports)."""
    for name in SERVICE_NAMES:
        definition(name)
    text = generate_latest(REGISTRY).decode()
    names = set()
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE):
        if kind == "counter":  # its TYPE line may name it with `_total` or without
            family = family.removesuffix("_total")
        names |= {family + suffix for suffix in _SUFFIXES.get(kind, ("",))}
    return names


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """The series a PromQL expression reads (not its functions, keywords, labels or numbers)."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    names = {m.group() for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr) if not _calls(expr, m.end())}
    return {n for n in names if n.lower() not in _PROMQL_WORDS}


def _calls(expr: str, end: int) -> bool:
    """Whether the name ending at `end` is a function called (followed by an opening bracket)."""
    return expr[end:].lstrip().startswith("(")


def test_promtool_accepts_the_rules_where_it_is_installed() -> None:
    promtool = shutil.which("promtool")
    if promtool:
        subprocess.run([promtool, "check", "rules", str(RULES)], check=True, capture_output=True)


def test_every_rule_has_its_shape(rules) -> None:
    recorded = [rule["record"] for rule in rules if "record" in rule]
    assert len(recorded) == len(set(recorded))
    for rule in rules:
        assert ("record" in rule) != ("alert" in rule), rule
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule
        if "record" in rule:
            assert re.fullmatch(r"[a-z_]+:[a-z_]+:[a-z0-9_]+", rule["record"]), rule["record"]
            continue
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert "for" not in rule or _DURATION.match(rule["for"]), rule["alert"]


def test_every_metric_named_is_exported_or_recorded(rules, exported: set[str]) -> None:
    recorded = {rule["record"] for rule in rules if "record" in rule}
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [rule["expr"] for rule in rules] + [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    unknown = {name for expr in exprs for name in metric_names(expr)} - exported - recorded
    assert not unknown, f"named but exported by no service: {sorted(unknown)}"


def test_checkout_alerts_burn_over_a_long_and_a_short_window(rules) -> None:
    """SRE workbook: 14.4x over 1h and 5m, 6x over 6h and 30m, for availability and latency."""
    by_name = {rule.get("record") or rule["alert"]: rule for rule in rules}
    pairs = {"FastBurn": ("1h", "5m", "14.4"), "SlowBurn": ("6h", "30m", "6")}
    for slo, budget in (("Availability", "0.001"), ("Latency", "0.01")):
        for speed, (long, short, factor) in pairs.items():
            expr = by_name[f"Checkout{slo}{speed}"]["expr"]
            windows = set(re.findall(r":ratio_rate(\w+)", expr))
            assert windows == {long, short}, (slo, speed, windows)
            assert expr.count(f"({factor} * {budget})") == 2, (slo, speed)
            for window in windows:
                source = next(
                    r
                    for name, r in by_name.items()
                    if name.endswith(f":ratio_rate{window}")
                    and (("errors" if slo == "Availability" else "slow") in name)
                )
                assert f"[{window}]" in source["expr"]


def test_the_checkout_route_is_the_one_orders_serves(rules) -> None:
    routes = {(r.method, r.path) for routes in definition("orders").routes for r in routes.routes}
    for rule in rules:
        for method, route in re.findall(r'method="(\w+)", route="([^"]+)"', rule["expr"]):
            assert (method, route) in routes, (method, route)


def test_every_alert_has_a_runbook_section(rules) -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("#")
    }
    for rule in rules:
        if "alert" in rule:
            anchor = rule["annotations"]["runbook_url"].removeprefix("docs/operations.md#")
            assert anchor == rule["alert"].lower() and anchor in headings, rule["alert"]


def test_the_dashboard_reads_prometheus_and_fits_its_grid() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "marketplace"
    titles = [panel["title"] for panel in dashboard["panels"]]
    for needed in ("route", "Consumer outcomes", "Outbox lag", "Parking queue", "Search freshness"):
        assert any(needed in title for title in titles), needed
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "prometheus" and panel["targets"], panel["title"]


def test_prometheus_scrapes_every_service_of_compose_on_its_port() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    config = yaml.safe_load(SCRAPES.read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules.yml"]
    scraped = set()
    for job in config["scrape_configs"]:
        for sd in job["dns_sd_configs"]:
            for name in sd["names"]:
                environment = compose[name]["environment"]
                assert environment[f"{job['job_name'].upper()}_PORT"] == str(sd["port"]), name
                scraped.add(name)
    running = {name for name, spec in compose.items() if "marketplace" in spec.get("command", [""])[0]}
    running -= {"migrate", "seed"}
    assert scraped == running
