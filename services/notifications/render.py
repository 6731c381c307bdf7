"""Emails from templates: `templates/<kind>.txt` and `.html`, each extending one base layout
(`base.txt`, `base.html` in the storefront's colours and fonts). A kind's subject is the
`subject` block of its text template.

Templates are strict: a variable a template names and the context lacks is an error
(`TemplateError`), which parks that one email with the reason instead of sending a message
with a hole in it.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2

from services.notifications.domain import CATEGORY_NAMES, Kind, format_money
from shared.money import Money

TEMPLATES = Path(__file__).parent / "templates"
TemplateError = jinja2.TemplateError


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _money(value: dict[str, Any] | None) -> str:
    return "" if value is None else format_money(Money.model_validate(value))


def _date(value: str) -> str:
    return f"{datetime.fromisoformat(value):%-d %B %Y}"


def _datetime(value: str) -> str:
    return f"{datetime.fromisoformat(value):%-d %B %Y, %H:%M} UTC"


def _environment(autoescape: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates change with a deploy, which restarts the process: no stat of their files
        # for every email.
        auto_reload=False,
    )
    environment.filters.update(money=_money, date=_date, datetime=_datetime)
    return environment


# Pages the service itself answers with (the unsubscribe page), in the emails' look.
PAGES = _environment(autoescape=True)


class Renderer:
    def __init__(self, public_url: str) -> None:
        self.public_url = public_url.rstrip("/")
        self._text = _environment(autoescape=False)
        self._html = _environment(autoescape=True)

    def url(self, path: str) -> str:
        """A storefront path as the absolute link an email carries."""
        return self.public_url + path

    def render(self, kind: Kind, context: dict[str, Any], unsubscribe_url: str | None) -> Rendered:
        values = {
            **context,
            "url": self.url,
            "unsubscribe_url": unsubscribe_url,
            "category_name": CATEGORY_NAMES.get(kind.category, ""),
        }
        text_template = self._text.get_template(f"{kind.value}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(values))).strip()
        return Rendered(
            subject=" ".join(subject.split()),
            text=text_template.render(values),
            html=self._html.get_template(f"{kind.value}.html").render(values),
        )


def compose(
    rendered: Rendered,
    *,
    sender: str,
    to: str,
    delivery_id: str,
    kind: Kind,
    unsubscribe_url: str | None,
) -> EmailMessage:
    """The message: plain text with an HTML alternative. Its Message-ID is made from the
    delivery's id, so a message sent twice (a crash between the SMTP server's acceptance and
    the row marked sent) is visibly the same message, and mail clients fold it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    domain = Address(addr_spec=email.utils.parseaddr(sender)[1]).domain or "localhost"
    message["Message-ID"] = f"<{delivery_id}@{domain}>"
    message["X-Notification-Kind"] = kind.value
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    if unsubscribe_url is not None:
        # RFC 8058: a mail client may POST `List-Unsubscribe=One-Click` to the URL, no page between.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
