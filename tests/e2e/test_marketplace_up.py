"""`marketplace up` on an empty database: migrates, seeds, starts every service and the
development mail server, and prints a storefront a new user can click through."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import aiohttp
import pytest

from tests.support.harness import ROOT, TestEnvironment, eventually, free_port


@pytest.fixture
async def empty_env(workdir):
    """A namespace and database of its own: `up` seeds only an empty catalogue."""
    env = TestEnvironment(workdir / "up")
    yield env
    from ops.services import SERVICE_NAMES, definition

    for name in SERVICE_NAMES:
        settings = definition(name).settings_cls(**{"namespace": env.namespace})
        env.track(settings)
    await env.teardown()


async def test_up_brings_the_whole_marketplace_to_life(empty_env: TestEnvironment, workdir) -> None:
    test_env = empty_env
    ports = {
        name: free_port() for name in ("GATEWAY", "MAKERS", "CATALOGUE", "ORDERS", "MEDIA", "NOTIFICATIONS")
    }
    env = {
        **os.environ,
        **test_env.env,
        **{f"{name}_PORT": str(port) for name, port in ports.items()},
        "GATEWAY_MAKERS_URL": f"http://127.0.0.1:{ports['MAKERS']}",
        "GATEWAY_CATALOGUE_URL": f"http://127.0.0.1:{ports['CATALOGUE']}",
        "GATEWAY_ORDERS_URL": f"http://127.0.0.1:{ports['ORDERS']}",
        "GATEWAY_MEDIA_URL": f"http://127.0.0.1:{ports['MEDIA']}",
        "GATEWAY_NOTIFICATIONS_URL": f"http://127.0.0.1:{ports['NOTIFICATIONS']}",
        # `up` starts the development mail server here; the emails' links lead to this gateway.
        "MARKET_SMTP_PORT": str(free_port()),
        "MARKET_DEV_MAIL_DIR": str(workdir / "dev-mail"),
        "MARKET_PUBLIC_URL": f"http://127.0.0.1:{ports['GATEWAY']}",
        "MEDIA_STORAGE_DIR": str(workdir / "media-storage"),
        "MARKET_OPERATOR_EMAIL": "ops@example.com",
        "MARKET_OPERATOR_PASSWORD": "a-long-operator-password",
    }
    log_path = workdir / "marketplace-up.log"
    with open(log_path, "wb") as log:
        up = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        storefront = _wait_for_line(log_path, up, r"Storefront: (\S+)")
        _wait_for_line(log_path, up, r"(\(Ctrl-C stops every service\))")  # the last line of the welcome
        output = log_path.read_text()
        assert "Operator:   ops@example.com / a-long-operator-password" in output
        assert f"Mail:       smtp://127.0.0.1:{env['MARKET_SMTP_PORT']}" in output
        demo_logins = _demo_logins(output)
        assert sorted(who for who, _, _ in demo_logins) == ["Customer", "Maker"], output[-3000:]
        async with aiohttp.ClientSession() as session:
            async with session.get(storefront) as r:
                assert r.status == 200 and "text/html" in r.headers["Content-Type"]
            async with session.get(storefront + "api/v1/listings?limit=5") as r:
                page = await r.json()
                assert r.status == 200 and len(page["items"]) == 5
            # The demo pieces' photos, uploaded by the seed, are made ready by the media worker
            # `up` started: the first page's main photos, and their renditions through the gateway.
            main_photos = await eventually(
                lambda: _main_photos(session, storefront + "api/v1/listings?limit=5"),
                timeout_s=300,
                interval_s=1,
                message="the first page's demo photos ready",
            )
            for photo in main_photos:
                async with session.get(storefront + photo["urls"]["480"].lstrip("/")) as r:
                    assert r.status == 200 and r.headers["Content-Type"] == "image/webp"
            async with session.get(storefront + "api/v1/makers") as r:
                assert len((await r.json())["items"]) >= 12
            for _, email, password in (
                ("Operator", "ops@example.com", "a-long-operator-password"),
                *demo_logins,
            ):
                async with session.post(
                    storefront + "api/v1/auth/token", json={"email": email, "password": password}
                ) as r:
                    assert r.status == 200, (email, await r.text())
            # A newcomer's first email, kept by the development mail server, links back to
            # this storefront; following it verifies the address.
            newcomer = "newcomer@example.com"
            register = {
                "email": newcomer,
                "password": "a-long-newcomer-password",
                "display_name": "Newcomer",
                "role": "customer",
            }
            async with session.post(storefront + "api/v1/auth/register", json=register) as r:
                assert r.status == 201, await r.text()
            link = await eventually(
                lambda: _emailed_link(env, newcomer, storefront + "verify-email?token="),
                timeout_s=60,
                message="the verification email in `marketplace mail list`",
            )
            token = link.split("token=", 1)[1]
            async with session.post(storefront + "api/v1/auth/verify-email", json={"token": token}) as r:
                assert r.status == 200, await r.text()
    finally:
        up.send_signal(signal.SIGTERM)
        assert up.wait(60) == 0, log_path.read_text()[-3000:]


async def _main_photos(session: aiohttp.ClientSession, url: str) -> list[dict] | None:
    """The page's main photos once every one is ready (with its rendition URLs), else None."""
    async with session.get(url) as r:
        items = (await r.json())["items"]
    photos = [item["main_photo"] for item in items]
    return photos if all(photo and photo.get("urls") for photo in photos) else None


async def _emailed_link(env: dict[str, str], to: str, prefix: str) -> str | None:
    """The first link starting with `prefix` in the mail `marketplace mail list` shows for `to`."""
    listed = subprocess.run(
        [sys.executable, "-m", "ops.cli", "mail", "list", "--to", to, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    links = [link for line in listed.splitlines() for link in json.loads(line)["links"]]
    return next((link for link in links if link.startswith(prefix)), None)


def _demo_logins(output: str) -> list[tuple[str, str, str]]:
    """(who, email, password) of each demo login `up` printed."""
    return re.findall(r"^(Maker|Customer):\s+(\S+) / (\S+)$", output, re.MULTILINE)


def _wait_for_line(path, proc: subprocess.Popen, pattern: str, timeout_s: float = 180) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        match = re.search(pattern, path.read_text(errors="replace"))
        if match:
            return match.group(1)
        if proc.poll() is not None:
            raise AssertionError(f"marketplace up exited {proc.returncode}:\n{path.read_text()[-3000:]}")
        time.sleep(0.3)
    raise AssertionError(f"no {pattern!r} within {timeout_s}s:\n{path.read_text()[-3000:]}")
