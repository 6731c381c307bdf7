"""The development mail server: an SMTP server (aiosmtpd) that delivers nothing and keeps every
message it is given, so a developer reads the emails the marketplace sends with
`marketplace mail list`.

Each message is kept as one `.eml` file (the bytes as received) under the mail folder
(`MARKET_DEV_MAIL_DIR`, default `.dev/mail/`), and one line of `index.jsonl` names the file with
the SMTP envelope's recipients and the time it arrived: the envelope, not the `To:` header, says
who a message was delivered to (a Bcc appears in no header). The server is the only writer, so
appending a line per message needs no lock. Never for production: anyone who can reach the port
can drop mail into the folder, which is why it listens on loopback unless told otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from ops.mailbox import Mail
from services.notifications.settings import NotificationsSettings

ROOT = Path(__file__).resolve().parent.parent
INDEX = "index.jsonl"


def mail_dir() -> Path:
    return Path(os.environ.get("MARKET_DEV_MAIL_DIR", str(ROOT / ".dev" / "mail")))


def smtp_address() -> tuple[str, int]:
    """Where the notifications service sends mail (MARKET_SMTP_HOST, MARKET_SMTP_PORT): where
    the development server listens."""
    settings = NotificationsSettings()
    return settings.smtp_host, settings.smtp_port


class MailFolder:
    """The folder of kept messages: `keep` one, read them back (oldest first)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def keep(self, raw: bytes, to: list[str], sender: str, sent_at: datetime) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{sent_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
        path.write_bytes(raw)
        entry = {"file": path.name, "to": to, "sender": sender, "sent_at": sent_at.isoformat()}
        with (self.directory / INDEX).open("a", encoding="utf-8") as index:
            index.write(json.dumps(entry) + "\n")
        return path

    def messages(self, to: str | None = None) -> Iterator[Mail]:
        index = self.directory / INDEX
        if not index.exists():
            return
        for line in index.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            recipients = [address.lower() for address in entry["to"]]
            if to is not None and to.lower() not in recipients:
                continue
            raw = (self.directory / entry["file"]).read_bytes()
            yield Mail.parse(raw, recipients, entry["sender"], datetime.fromisoformat(entry["sent_at"]))


class KeepEverything:
    """The aiosmtpd handler: accept every message and keep it in the folder."""

    def __init__(self, folder: MailFolder) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)  # aiosmtpd keeps the bytes unless told to decode them
        to = [address.lower() for address in envelope.rcpt_tos]
        self.folder.keep(raw, to, str(envelope.mail_from), datetime.now(UTC))
        return "250 Message kept"


async def serve(host: str, port: int, folder: MailFolder) -> None:
    """Accept mail on host:port until SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    handler = KeepEverything(folder)
    server = await loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True), host, port)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"development mail server on {host}:{port}, keeping messages in {folder.directory}", flush=True)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()


def describe(mail: Mail) -> str:
    """The human form of one message: when, to whom, the subject and the links to follow."""
    lines = [f"{mail.sent_at:%Y-%m-%d %H:%M:%S}  to {', '.join(mail.to)}", f"  {mail.subject}"]
    lines += [f"    {link}" for link in mail.links]
    return "\n".join(lines)
