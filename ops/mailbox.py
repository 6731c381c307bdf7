"""Reading an email the way a person (or a test) does: who it was for, its subject, its plain
text and HTML parts and the links it carries. The development mail server and the tests' SMTP
fixture both read messages through here, so a link a test follows is the link a developer sees
in `marketplace mail list`.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

# A URL in plain text ends at whitespace or at the punctuation that closes a sentence or a
# bracket around it ("see <https://...>.").
TEXT_LINK = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith(("http://", "https://")):
            self.hrefs.append(href)


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_type() != f"text/{subtype}":
        return ""
    # Parts travel with CRLF line ends; a reader (and a test comparing text) wants "\n".
    return str(body.get_content()).replace("\r\n", "\n")


def links_in(text: str, html: str) -> list[str]:
    """Every distinct http(s) link of the message, in order of first appearance (text first)."""
    anchors = _Anchors()
    anchors.feed(html)
    found = TEXT_LINK.findall(text) + anchors.hrefs
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Mail:
    """One received message: the SMTP envelope's recipients and the parsed message."""

    to: list[str]
    sender: str
    message: EmailMessage
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def parse(cls, raw: bytes, to: list[str], sender: str, sent_at: datetime | None = None) -> Mail:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)  # the default policy always builds one
        return cls([a.lower() for a in to], sender, message, sent_at or datetime.now(UTC))

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def text(self) -> str:
        return _part(self.message, "plain")

    @property
    def html(self) -> str:
        return _part(self.message, "html")

    @property
    def links(self) -> list[str]:
        return links_in(self.text, self.html)

    def header(self, name: str) -> str | None:
        value = self.message.get(name)
        return None if value is None else str(value)

    def as_json(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "links": self.links,
            "sent_at": self.sent_at.isoformat(),
        }
