"""The development mail server (`marketplace mail serve`) keeps every message it is given, and
`marketplace mail list` prints them: who they were for, the subject and the links to follow."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from tests.support.harness import ROOT, free_port


@pytest.fixture(scope="module")
def mail_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running `marketplace mail serve` on a free port, keeping mail in a folder of its own."""
    env = {
        **os.environ,
        "MARKET_SMTP_HOST": "127.0.0.1",
        "MARKET_SMTP_PORT": str(free_port()),
        "MARKET_DEV_MAIL_DIR": str(tmp_path_factory.mktemp("dev-mail")),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "mail", "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    assert server.stdout is not None
    # It prints its line once it listens: the barrier before the first message is sent.
    assert b"development mail server on" in server.stdout.readline()
    yield env
    server.send_signal(signal.SIGTERM)
    assert server.wait(10) == 0


def _message(to: str, subject: str, link: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Marketplace <no-reply@example.com>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(f"Hello,\n\nFollow {link}.\n")
    message.add_alternative(f'<p>Hello, <a href="{link}">follow this</a>.</p>', subtype="html")
    return message


def _mail_list(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "ops.cli", "mail", "list", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


async def _send(env: dict[str, str], message: EmailMessage, recipients: list[str] | None = None) -> None:
    port = int(env["MARKET_SMTP_PORT"])
    await aiosmtplib.send(message, hostname="127.0.0.1", port=port, recipients=recipients)


async def test_every_message_is_kept_and_listed_with_its_links(mail_env: dict[str, str]) -> None:
    link = "http://127.0.0.1:8080/verify-email?token=abc123"
    await _send(mail_env, _message("Ada <Ada@Example.com>", "Confirm your email address", link))
    # Delivered by the envelope: a blind copy names the recipient in no header.
    shipped = _message("someone@example.com", "Your order is on its way", link)
    await _send(mail_env, shipped, ["bcc@example.com"])

    rows = [json.loads(line) for line in _mail_list(mail_env, "--json").splitlines()]
    assert [(row["to"], row["subject"]) for row in rows] == [
        (["ada@example.com"], "Confirm your email address"),
        (["bcc@example.com"], "Your order is on its way"),
    ]
    first = rows[0]
    assert first["links"] == [link]
    assert first["text"] == f"Hello,\n\nFollow {link}.\n"
    assert f'href="{link}"' in first["html"]
    assert first["sent_at"].endswith("+00:00")

    only_ada = _mail_list(mail_env, "--to", "ADA@example.com")
    assert "to ada@example.com" in only_ada and "Confirm your email address" in only_ada
    assert f"    {link}" in only_ada and "bcc@example.com" not in only_ada
    assert Path(mail_env["MARKET_DEV_MAIL_DIR"], "index.jsonl").read_text().count("\n") == 2


def test_it_stops_listening_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MARKET_SMTP_PORT": str(port), "MARKET_DEV_MAIL_DIR": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "mail", "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    assert server.stdout is not None and b"development mail server on" in server.stdout.readline()
    server.send_signal(signal.SIGTERM)
    assert server.wait(10) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
