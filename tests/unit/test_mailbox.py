"""Reading an email as a person would (ops/mailbox.py): its parts and the links to follow."""

from __future__ import annotations

from email.message import EmailMessage

from ops.mailbox import Mail, links_in


def _raw(text: str, html: str | None = None, subject: str = "Your parcel is on its way") -> bytes:
    message = EmailMessage()
    message["From"] = "Forge & Facet <hello@example.com>"
    message["To"] = "Ada <ada@example.com>"
    message["Subject"] = subject
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return bytes(message)


def test_links_in_text_end_before_the_punctuation_around_them() -> None:
    text = (
        "Confirm: http://127.0.0.1:8080/verify-email?token=a-b_c.\n"
        "Track it (https://track.example/p/RM1?x=1), or see <https://shop.example/orders/7>; thanks!"
    )
    assert links_in(text, "") == [
        "http://127.0.0.1:8080/verify-email?token=a-b_c",
        "https://track.example/p/RM1?x=1",
        "https://shop.example/orders/7",
    ]


def test_html_anchors_count_once_and_only_web_links() -> None:
    html = (
        '<a href="https://shop.example/orders/7">Your order</a>'
        '<a href="mailto:help@example.com">Write to us</a>'
        '<a href="https://shop.example/unsubscribe?token=t">Unsubscribe</a>'
    )
    assert links_in("See https://shop.example/orders/7", html) == [
        "https://shop.example/orders/7",
        "https://shop.example/unsubscribe?token=t",
    ]


def test_a_message_reads_as_its_subject_parts_and_links() -> None:
    raw = _raw(
        "Hello Ada,\nhttps://shop.example/orders/7\n",
        '<p>Hello Ada, <a href="https://shop.example/orders/7">your order</a></p>',
        subject="Order FF-1234: on its way",
    )
    mail = Mail.parse(raw, ["ADA@example.com"], "hello@example.com")
    assert mail.to == ["ada@example.com"]
    assert mail.subject == "Order FF-1234: on its way"
    assert mail.text == "Hello Ada,\nhttps://shop.example/orders/7\n"
    assert mail.html.startswith("<p>Hello Ada,")
    assert mail.links == ["https://shop.example/orders/7"]
    assert mail.header("From") == "Forge & Facet <hello@example.com>"
    assert mail.header("List-Unsubscribe") is None
    assert set(mail.as_json()) == {"to", "subject", "text", "html", "links", "sent_at"}


def test_a_plain_text_message_has_no_html() -> None:
    mail = Mail.parse(_raw("Just text"), ["ada@example.com"], "hello@example.com")
    assert (mail.text, mail.html, mail.links) == ("Just text\n", "", [])
