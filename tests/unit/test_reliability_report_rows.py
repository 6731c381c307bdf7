"""The reliability report's table of every check has a row per test module; a module split
into a package of modules by topic (tests/integration/test_security_api/) keeps the one row,
and the name, it had."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.reliability_report import render

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" timestamp="2026-12-06T17:00:00.000000+00:00">
<testcase classname="tests.integration.test_security_api.test_authorisation"
  name="test_object_level_authorisation_matrix" time="3.0" />
<testcase classname="tests.integration.test_security_api.test_tokens_and_roles"
  name="test_rate_limits" time="2.0"><failure message="boom" /></testcase>
<testcase classname="tests.integration.test_security_least_privilege"
  name="test_no_superuser[orders]" time="0.5" />
<testcase classname="tests.reliability.test_races" name="test_a_race" time="0.1" />
</testsuite></testsuites>
"""


def test_a_module_split_into_a_package_keeps_its_one_row(tmp_path: Path) -> None:
    results, soaks = tmp_path / "results", tmp_path / "docs" / "reliability"
    results.mkdir()
    soaks.mkdir(parents=True)
    (results / "junit.xml").write_text(JUNIT)
    page = render(results, soaks, tmp_path / "docs")
    assert [line for line in page.splitlines() if line.startswith("| test_")] == [
        "| test_races | 1 | 1 | 0 | 0 | 0.1 |",
        "| test_security_api | 2 | 1 | 1 | 0 | 5.0 |",
        "| test_security_least_privilege | 1 | 1 | 0 | 0 | 0.5 |",
    ]
    failing = "`tests.integration.test_security_api.test_tokens_and_roles::test_rate_limits`"
    assert f"Failing: {failing}" in page


def test_the_header_explains_dirty_only_when_the_code_differed(tmp_path: Path) -> None:
    results, soaks = tmp_path / "results", tmp_path / "docs" / "reliability"
    soaks.mkdir(parents=True)
    results.mkdir()
    (results / "junit.xml").write_text(JUNIT)
    scenario = results / "broker_restarted_twice.json"
    for commit, header in [
        ("abc1234", "- Commit: **abc1234**\n"),
        ("abc1234+dirty", "- Commit: **abc1234+dirty** (`+dirty`: code in the working tree differed"),
    ]:
        scenario.write_text(
            json.dumps(
                {"title": "RabbitMQ restarted", "scenario": "broker", "result": "pass", "commit": commit}
            )
        )
        assert header in render(results, soaks, tmp_path / "docs")
