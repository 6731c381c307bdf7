"""What the `marketplace` commands do, apart from parsing arguments."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import asyncpg

from ops import devmail
from ops.broker import broker_setup
from ops.services import SERVICE_NAMES, definition
from shared.auth import generate_keypair
from shared.config import ServiceSettings
from shared.dlq import parked_messages, replay_parked
from shared.migrate import migrate
from shared.service import declare_topology

ROOT = Path(__file__).resolve().parent.parent
DEV_KEYS = ROOT / ".dev" / "keys"
START_HINT = (
    "start it natively (PostgreSQL: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
    "main start`, RabbitMQ: `rabbitmq-server -detached`) or with `docker compose up -d postgres rabbitmq`"
)


def _all_settings() -> dict[str, ServiceSettings]:
    return {name: definition(name).settings_cls() for name in SERVICE_NAMES}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def preflight_or_exit(tests: bool = False) -> None:
    """One clear line and exit 2 when PostgreSQL or RabbitMQ cannot be reached; with `tests`, also
    when RabbitMQ's management API cannot (the least-privilege tests create each service's broker
    user through it, as `marketplace broker-setup` does)."""
    settings = ServiceSettings()
    admin = urlparse(settings.pg_admin_dsn)
    amqp = urlparse(settings.amqp_url)
    problems = []
    if not _reachable(admin.hostname or "127.0.0.1", admin.port or 5432):
        problems.append(f"PostgreSQL is not reachable at {admin.hostname}:{admin.port or 5432}")
    if not _reachable(amqp.hostname or "127.0.0.1", amqp.port or 5672):
        problems.append(f"RabbitMQ is not reachable at {amqp.hostname}:{amqp.port or 5672}")
    if problems:
        print(f"{'; '.join(problems)}: {START_HINT}.", file=sys.stderr)
        raise SystemExit(2)
    management = urlparse(settings.amqp_admin_url)
    if tests and not _reachable(management.hostname or "127.0.0.1", management.port or 15672):
        print(
            f"RabbitMQ's management API is not reachable at {management.hostname}:{management.port or 15672} "
            "(the least-privilege tests create each service's broker user through it): enable it with "
            "`rabbitmq-plugins enable rabbitmq_management`.",
            file=sys.stderr,
        )
        raise SystemExit(2)


async def migrate_all() -> None:
    for name in SERVICE_NAMES:
        service = definition(name)
        settings = service.settings_cls()
        applied = await migrate(settings, service.migrations)
        # Its own broker user first (when the services have one), so it exists before they start.
        user = f"; broker user {await broker_setup(settings)}" if settings.own_broker_user else ""
        await declare_topology(service, settings)
        print(f"{name}: {len(applied)} migration(s) applied; queues declared{user}")


async def broker_setup_all() -> list[str]:
    """Each service's own RabbitMQ user and permissions (`marketplace broker-setup`)."""
    return [await broker_setup(definition(name).settings_cls()) for name in SERVICE_NAMES]


async def seed() -> None:
    from ops import seed as demo  # as in up()

    await demo.seed(_all_settings())


async def create_operator(email: str, password: str) -> None:
    from services.gateway.accounts import create_operator_account

    settings = _all_settings()["gateway"]
    conn = await asyncpg.connect(settings.dsn())
    try:
        user_id = await create_operator_account(conn, email, password)
    finally:
        await conn.close()
    print(f"operator {email} ({user_id})")


async def refresh_claims() -> int:
    """The catalogue's daily claims refresh, now, with the catalogue's own settings."""
    from datetime import UTC, datetime

    from services.catalogue.usecases import refresh_expired_claims
    from shared.db import create_pool

    pool = await create_pool(_all_settings()["catalogue"])
    try:
        return await refresh_expired_claims(pool, datetime.now(UTC).date())
    finally:
        await pool.close()


async def recheck_listings() -> int:
    """The catalogue's re-check of public listings, now, with the catalogue's own settings (its
    MARKET_CURRENCIES)."""
    from datetime import UTC, datetime

    from services.catalogue.usecases import recheck_public_listings
    from shared.db import create_pool

    settings = _all_settings()["catalogue"]
    pool = await create_pool(settings)
    try:
        return await recheck_public_listings(pool, settings.currencies, datetime.now(UTC))
    finally:
        await pool.close()


async def payout_run() -> dict:
    """One payout run, as POST /payout-runs does it, with orders' own settings: the run's id
    and its payouts (JSON-ready)."""
    from datetime import timedelta

    from services.orders import schemas, usecases
    from services.orders.payout_provider import open_payout_provider
    from services.orders.settings import OrdersSettings
    from shared.db import create_pool

    settings = OrdersSettings()
    pool = await create_pool(settings)
    provider, provider_pool = await open_payout_provider(settings)
    try:
        run = await usecases.run_payouts(
            pool,
            provider,
            minimum=settings.payout_minimum,
            hold=timedelta(days=settings.payout_hold_days),
        )
    finally:
        await provider_pool.close()
        await pool.close()
    return schemas.payout_run_view(run).model_dump(mode="json")


async def dlq_list(service: str) -> list[dict]:
    return await parked_messages(_all_settings()[service])


async def dlq_replay(service: str, message_id: str | None) -> int:
    return await replay_parked(_all_settings()[service], message_id)


async def parked_emails() -> list[dict]:
    """The emails the notifications service gave up on, with why."""
    from services.notifications import store
    from shared.db import create_pool

    pool = await create_pool(_all_settings()["notifications"])
    try:
        return await store.parked(pool)
    finally:
        await pool.close()


async def replay_emails(ids: list[str]) -> int:
    """Parked emails (these, or every one) sent again, their attempts reset."""
    import uuid

    from services.notifications.usecases import replay_parked as replay_deliveries
    from shared.db import create_pool

    pool = await create_pool(_all_settings()["notifications"])
    try:
        return await replay_deliveries(pool, [uuid.UUID(i) for i in ids] or None)
    finally:
        await pool.close()


def ensure_dev_keys() -> None:
    """Development signing keys, generated on first run into an ignored folder."""
    private, public = DEV_KEYS / "jwt_private.pem", DEV_KEYS / "jwt_public.pem"
    if not private.exists():
        DEV_KEYS.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_keypair()
        private.write_text(private_pem)
        private.chmod(0o600)
        public.write_text(public_pem)
    os.environ.setdefault("MARKET_JWT_PUBLIC_KEY_FILE", str(public))
    os.environ.setdefault("GATEWAY_JWT_PRIVATE_KEY_FILE", str(private))


def up() -> None:
    # The demo data is every service's code: imported only by the commands that seed, so that
    # `marketplace run SERVICE` loads no other service.
    from ops import seed as demo

    preflight_or_exit()
    ensure_dev_keys()
    asyncio.run(migrate_all())
    asyncio.run(demo.seed_when_empty(_all_settings()))
    email = os.environ.get("MARKET_OPERATOR_EMAIL", "operator@example.com")
    password = os.environ.get("MARKET_OPERATOR_PASSWORD", "operator-dev-password")
    asyncio.run(_ensure_operator(email, password))

    settings = _all_settings()
    children = _start_mail_server()
    children += [
        subprocess.Popen([sys.executable, "-m", f"services.{name}", "--role", "all"], cwd=ROOT)
        for name in SERVICE_NAMES
    ]
    try:
        for name in SERVICE_NAMES:
            _wait_ready(f"http://{settings[name].host}:{settings[name].port}/health/ready", name)
        gateway = settings["gateway"]
        print(f"\nStorefront: http://{gateway.host}:{gateway.port}/")
        print(f"Mail:       smtp://{':'.join(map(str, devmail.smtp_address()))} (`marketplace mail list`)")
        print(f"Operator:   {email} / {password}")
        for who, login, secret in demo.demo_logins():
            print(f"{who + ':':<12}{login} / {secret}")
        print("(Ctrl-C stops every service)", flush=True)
        _wait_for_stop_signal()
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=40)


def _start_mail_server() -> list[subprocess.Popen[bytes]]:
    """The development mail server, so the services' emails are kept for `marketplace mail
    list`; none when something already listens on the SMTP port (a mail catcher of your own, or
    the compose one), which then receives them instead."""
    host, port = devmail.smtp_address()
    if _reachable(host, port):
        print(f"SMTP {host}:{port} already answers: the emails go there", flush=True)
        return []
    server = subprocess.Popen([sys.executable, "-m", "ops.cli", "mail", "serve"], cwd=ROOT)
    deadline = time.monotonic() + 30
    while not _reachable(host, port):
        if server.poll() is not None or time.monotonic() > deadline:
            server.terminate()
            raise SystemExit(f"the development mail server did not start on {host}:{port}")
        time.sleep(0.1)
    return [server]


def _wait_for_stop_signal() -> None:
    """Until Ctrl-C or SIGTERM; both end in KeyboardInterrupt, which stops the children."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    while True:
        time.sleep(3600)


async def _ensure_operator(email: str, password: str) -> None:
    from services.gateway.accounts import create_operator_account

    settings = _all_settings()["gateway"]
    conn = await asyncpg.connect(settings.dsn())
    try:
        await create_operator_account(conn, email, password, exist_ok=True)
    finally:
        await conn.close()


def _wait_ready(url: str, name: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{name} did not become ready at {url}")
