"""`marketplace preflight`, which `make up` and `make test` run first: one clear line, with how
to start what is missing, when PostgreSQL, RabbitMQ or (for the tests) RabbitMQ's management API
cannot be reached, and silence when they can (this machine runs all three)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.harness import free_port

ROOT = Path(__file__).resolve().parents[2]


def preflight(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", "preflight", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_everything_reachable_passes_quietly() -> None:
    result = preflight("--tests")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_an_unreachable_postgresql_is_one_line_with_how_to_start_it() -> None:
    port = free_port()
    result = preflight(MARKET_PG_ADMIN_DSN=f"postgresql://postgres@127.0.0.1:{port}/postgres")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"PostgreSQL is not reachable at 127.0.0.1:{port}" in result.stderr
    assert "pg_ctlcluster" in result.stderr


def test_the_tests_also_need_rabbitmqs_management_api() -> None:
    port = free_port()
    closed = {"MARKET_AMQP_ADMIN_URL": f"http://guest:guest@127.0.0.1:{port}/"}
    assert preflight(**closed).returncode == 0  # `make up` does not use it
    result = preflight("--tests", **closed)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert f"management API is not reachable at 127.0.0.1:{port}" in result.stderr
    assert "rabbitmq-plugins enable rabbitmq_management" in result.stderr
