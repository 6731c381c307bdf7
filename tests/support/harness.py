"""The test harness: a fresh database, roles and exchange/queue namespace per
run, and real service processes on free ports. Two runs at once on one machine
do not meet: every name they create carries the run's own namespace."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg

from shared.auth import TokenIssuer, generate_keypair
from shared.config import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
ADMIN_DSN = os.environ.get("MARKET_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("MARKET_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def admin_dsn(database: str) -> str:
    """The superuser's DSN of `database` on the same server as ADMIN_DSN."""
    return ADMIN_DSN.rsplit("/", 1)[0] + "/" + database


# Every port handed out in this test run. A stopped service process keeps its port to start
# again on it (a paused stack, a restart after a kill); the kernel sees that port free, and once
# gave it to another process meanwhile, so the restarted one could not bind (a relay that never
# came back, and a stack whose events stopped).
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free port on 127.0.0.1 that no earlier call of this run has handed out."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port: int = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


@dataclass
class TestEnvironment:
    __test__ = False  # not a test class, despite its name
    workdir: Path
    namespace: str = field(default_factory=lambda: "t" + secrets.token_hex(5))
    services: list[ServiceSettings] = field(default_factory=list)

    def __post_init__(self) -> None:
        private_pem, public_pem = generate_keypair()
        keys = self.workdir / "keys"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "private.pem").write_text(private_pem)
        (keys / "public.pem").write_text(public_pem)
        self.private_key_pem = private_pem
        self.env = {
            "MARKET_NAMESPACE": self.namespace,
            "MARKET_PG_DATABASE": self.namespace,
            "MARKET_PG_ADMIN_DSN": ADMIN_DSN,
            "MARKET_AMQP_URL": AMQP_URL,
            "MARKET_JWT_PUBLIC_KEY_FILE": str(keys / "public.pem"),
            "GATEWAY_JWT_PRIVATE_KEY_FILE": str(keys / "private.pem"),
            "MARKET_RETRY_DELAYS_MS": "[300,600]",
            "MARKET_OUTBOX_POLL_S": "0.2",
            # Many service processes share one PostgreSQL (100 connections by default).
            "MARKET_PG_POOL_MIN": "1",
            "MARKET_PG_POOL_MAX": "5",
            "MARKET_LOG_LEVEL": "info",
            # Photos a run stores stay in the run's own directory, not the checkout's var/media.
            "MEDIA_STORAGE_DIR": str(self.workdir / "media"),
        }

    @property
    def database(self) -> str:
        return self.namespace

    def apply(self) -> None:
        os.environ.update(self.env)

    def token_issuer(self) -> TokenIssuer:
        return TokenIssuer(self.private_key_pem, "marketplace", "marketplace", 900)

    def track(self, settings: ServiceSettings) -> ServiceSettings:
        """Remember a service whose roles and queues the teardown removes."""
        self.services.append(settings)
        return settings

    async def teardown(self) -> None:
        """Drop the run's database, then every role and queue it created."""
        admin = await asyncpg.connect(ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            roles = await admin.fetch(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE $1", self.namespace + "\\_%"
            )
            for row in roles:
                await admin.execute(f'DROP ROLE IF EXISTS "{row["rolname"]}"')
        finally:
            await admin.close()
        connection = await aio_pika.connect(AMQP_URL)
        try:
            channel = await connection.channel()
            for s in self.services:
                names = [s.queue, s.parking_queue] + [
                    s.retry_queue(i + 1) for i in range(len(s.retry_delays_ms))
                ]
                for name in names:
                    await channel.queue_delete(name)
            await channel.queue_delete(f"{self.namespace}.archive")
            await channel.exchange_delete(f"{self.namespace}.events")
        finally:
            await connection.close()


class ServiceProcess:
    """One service process (`python -m MODULE ARGS`) on a free port."""

    def __init__(
        self,
        module_args: list[str],
        port_var: str,
        env: dict[str, str],
        logdir: Path,
        name: str,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.name = name
        self.args = [sys.executable, "-m", *module_args]
        self.env = {**os.environ, **env, port_var: str(self.port), **(extra_env or {})}
        self.log_path = logdir / f"{name}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> ServiceProcess:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 — open as long as the process runs
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.logs()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health/ready", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready:\n{self.logs()[-3000:]}")

    def kill(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(10)

    def wait_exit(self, timeout_s: float = 30) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout_s)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if hasattr(self, "_log"):
            self._log.close()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def spawner(test_env: TestEnvironment, workdir: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """start(name, role="all", wait=True, **env) -> a running real service process (python -m
    services.NAME) in the run's namespace; every process started is stopped on exit."""
    started: list[ServiceProcess] = []

    def start(name: str, role: str = "all", wait: bool = True, **extra_env: str) -> ServiceProcess:
        proc = ServiceProcess(
            [f"services.{name}", "--role", role],
            f"{name.upper()}_PORT",
            test_env.env,
            workdir,
            f"{name}-{role}",
            extra_env,
        )
        started.append(proc)
        return proc.start(wait=wait)

    try:
        yield start
    finally:
        for proc in started:
            proc.stop()


async def reads_jsonb(conn: asyncpg.Connection) -> None:
    """A connection's set-up (a pool's `init`): jsonb read and written as Python values, as the
    services' own connections do."""
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout_s: float = 20, interval_s: float = 0.05, message: str = ""
) -> Any:
    """Poll an async check until it returns something truthy; that value. The one way tests wait."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s: {message} (last: {last!r})")
