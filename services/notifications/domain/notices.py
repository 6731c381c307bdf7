"""What an event owes people: for each person concerned, one notice of a kind, with what its
email is rendered from and, where the storefront shows it, its in-app notification.

Pure: the use cases look up who a customer or maker is and pass them in. A notice's `context`
is JSON (it waits in the deliveries table until sent); money travels as {amount, currency} and
links as paths of the storefront, made absolute when the email is rendered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from services.notifications.domain.kinds import Kind
from shared.contracts.identity import EmailChanged, PasswordResetRequested, VerificationRequested
from shared.contracts.orders import (
    CommissionQuoted,
    CommissionRequested,
    ConversationMessagePosted,
    MakerOrderDeclined,
    MakerOrderDispatched,
    MakerOrderEvent,
    MakerOrderRefunded,
    OrderCancelled,
    OrderConfirmed,
    PayoutPaid,
    ReturnRefunded,
    ReturnRejected,
    ReturnRequested,
)
from shared.contracts.reviews import ReviewPublished, ReviewReplied
from shared.money import Money


@dataclass(frozen=True)
class InApp:
    title: str
    body: str
    link: str | None


@dataclass(frozen=True)
class Notice:
    recipient: uuid.UUID
    kind: Kind
    context: dict[str, Any]
    # Send to this address rather than the one the recipient has when it is sent: the link
    # in an account email belongs to the address the event named.
    email: str | None = None
    in_app: InApp | None = field(default=None)


# Why an order was cancelled, as the customer is told.
CANCELLATION_REASONS = {
    "out_of_stock": "a piece in it sold out before we could reserve it",
    "price_changed": "a price changed before payment was taken",
    "payment_declined": "the payment was declined",
    "expired": "the payment was not completed in time",
    "customer_cancelled": "you cancelled it",
    "maker_declined": "the maker could not take it on",
}

RETURN_REASONS = {
    "changed_mind": "changed their mind",
    "faulty": "the piece is faulty",
    "not_as_described": "the piece is not as described",
}


_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
_ZERO_DECIMAL = frozenset({"JPY", "KRW"})


def money(value: Money | None) -> dict[str, Any] | None:
    return None if value is None else value.model_dump(mode="json")


def format_money(value: Money) -> str:
    """As people read an amount: £1,250.00, or 1,250.00 CHF for a currency without a symbol."""
    places = 0 if value.currency in _ZERO_DECIMAL else 2
    number = f"{abs(value.amount) / 10**places:,.{places}f}"
    sign = "-" if value.amount < 0 else ""
    symbol = _SYMBOLS.get(value.currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {value.currency}"


def _order(reference: str | None) -> str:
    """How a title names an order: by its reference, which older events may lack."""
    return f"Order {reference}" if reference else "Your order"


# --- accounts --------------------------------------------------------------------------------


def verification(event: VerificationRequested) -> Notice:
    return _single_use_link(event, Kind.VERIFY_EMAIL, "/verify-email")


def password_reset(event: PasswordResetRequested) -> Notice:
    return _single_use_link(event, Kind.PASSWORD_RESET, "/reset-password")


def _single_use_link(event: VerificationRequested | PasswordResetRequested, kind: Kind, path: str) -> Notice:
    """The email carrying the account's single-use token as the storefront link at `path`."""
    return Notice(
        event.user_id,
        kind,
        {
            "name": event.display_name,
            "link": f"{path}?token={quote(event.token, safe='')}",
            "expires_at": event.expires_at.isoformat(),
        },
        email=event.email,
    )


def email_changed(event: EmailChanged, name: str) -> Notice:
    """Told at the address it was, so a change nobody asked for is noticed."""
    return Notice(
        event.user_id,
        Kind.EMAIL_CHANGED,
        {"name": name, "new_email": event.email, "link": "/account"},
        email=event.previous_email,
    )


_APPLICATION = {
    "makers.maker.approved": (Kind.APPLICATION_APPROVED, "Your maker application is approved"),
    "makers.maker.changes_requested": (
        Kind.APPLICATION_CHANGES_REQUESTED,
        "Your maker application needs changes",
    ),
    "makers.maker.rejected": (Kind.APPLICATION_REJECTED, "Your maker application was not accepted"),
}


def application_decision(event_type: str, user_id: uuid.UUID, name: str) -> Notice | None:
    """A maker's application was decided; None for the maker events that decide nothing."""
    if event_type not in _APPLICATION:
        return None
    kind, title = _APPLICATION[event_type]
    return Notice(user_id, kind, {"name": name, "link": "/maker"}, in_app=InApp(title, "", "/maker"))


# --- orders ----------------------------------------------------------------------------------


def order_confirmed(event: OrderConfirmed, maker_users: dict[uuid.UUID, uuid.UUID]) -> list[Notice]:
    """The customer's receipt, and a new maker order for each maker (`maker_users`: maker id
    to their user id)."""
    link = f"/orders/{event.order_id}"
    receipt = Notice(
        event.customer_id,
        Kind.ORDER_CONFIRMED,
        {
            "reference": event.reference,
            "lines": [
                {"title": line.title, "quantity": line.quantity, "line_total": money(line.line_total)}
                for line in event.receipt
            ],
            "shipping": money(event.shipping),
            "total": money(event.total),
            "parcels": len(event.maker_orders),
            "link": link,
        },
        in_app=InApp(f"{_order(event.reference)} confirmed", f"Paid {format_money(event.total)}", link),
    )
    notices = [receipt]
    for part in event.maker_orders:
        titles = [line.title for line in event.receipt]
        notices.append(
            Notice(
                maker_users[part.maker_id],
                Kind.NEW_MAKER_ORDER,
                {
                    "reference": part.reference,
                    "gross": money(part.gross),
                    "net": money(part.net),
                    "items": len(part.line_ids),
                    "titles": titles if len(event.maker_orders) == 1 else [],
                    "link": "/maker",
                },
                in_app=InApp(
                    f"New order {part.reference or ''}".rstrip(), "Accept it from your dashboard", "/maker"
                ),
            )
        )
    return notices


def order_cancelled(event: OrderCancelled) -> Notice:
    link = f"/orders/{event.order_id}"
    reason = CANCELLATION_REASONS.get(event.reason, "it could not go ahead")
    return Notice(
        event.customer_id,
        Kind.ORDER_CANCELLED,
        {"reference": event.reference, "reason": reason, "refund": money(event.refund), "link": link},
        in_app=InApp(f"{_order(event.reference)} was cancelled", f"Because {reason}", link),
    )


def parcel(event: MakerOrderEvent, customer: uuid.UUID, maker_name: str) -> Notice:
    """Dispatched or delivered: the customer hears of their parcel from this maker."""
    link = f"/orders/{event.order_id}"
    context: dict[str, Any] = {"reference": event.reference, "maker": maker_name, "link": link}
    if isinstance(event, MakerOrderDispatched):
        context |= {"carrier": event.carrier, "tracking_number": event.tracking_number}
        title, body = (
            f"Your parcel from {maker_name} is on its way",
            f"{event.carrier} {event.tracking_number}",
        )
        kind = Kind.PARCEL_DISPATCHED
    else:
        title, body, kind = f"Your parcel from {maker_name} was delivered", "", Kind.PARCEL_DELIVERED
    return Notice(customer, kind, context, in_app=InApp(title, body, link))


def part_declined(event: MakerOrderDeclined, customer: uuid.UUID, maker_name: str) -> Notice:
    link = f"/orders/{event.order_id}"
    return Notice(
        customer,
        Kind.PART_DECLINED,
        {"reference": event.reference, "maker": maker_name, "refund": money(event.refund), "link": link},
        in_app=InApp(f"{maker_name} could not make part of your order", "It is refunded", link),
    )


def maker_order_cancelled(event: MakerOrderEvent, maker_user: uuid.UUID) -> Notice:
    return Notice(
        maker_user,
        Kind.MAKER_ORDER_CANCELLED,
        {"reference": event.reference, "link": "/maker"},
        in_app=InApp(f"{_order(event.reference)} was cancelled", "Do not send it", "/maker"),
    )


def refund(event: MakerOrderRefunded | ReturnRefunded, customer: uuid.UUID, reference: str | None) -> Notice:
    link = f"/orders/{event.order_id}"
    reason = event.reason if isinstance(event, MakerOrderRefunded) else "your return arrived"
    return Notice(
        customer,
        Kind.REFUND_ISSUED,
        {"reference": reference, "refund": money(event.refund), "reason": reason, "link": link},
        in_app=InApp("Refund issued", f"{format_money(event.refund)} back to your card", link),
    )


def return_requested(event: ReturnRequested, maker_user: uuid.UUID, reference: str | None) -> Notice:
    return Notice(
        maker_user,
        Kind.RETURN_REQUESTED,
        {
            "reference": reference,
            "reason": RETURN_REASONS.get(event.reason, event.reason),
            "items": sum(line.quantity for line in event.lines),
            "link": "/maker",
        },
        in_app=InApp("A customer is returning a piece", "See the return on your dashboard", "/maker"),
    )


def return_rejected(event: ReturnRejected, reference: str | None) -> Notice:
    link = f"/orders/{event.order_id}"
    return Notice(
        event.customer_id,
        Kind.RETURN_UPDATED,
        {"reference": reference, "reason": event.reason, "link": link},
        in_app=InApp("Your return was not accepted", event.reason, link),
    )


def commission_requested(event: CommissionRequested, maker_user: uuid.UUID) -> Notice:
    return Notice(
        maker_user,
        Kind.COMMISSION_REQUESTED,
        {
            "budget": money(event.budget),
            "deadline": event.deadline and event.deadline.isoformat(),
            "link": "/maker",
        },
        in_app=InApp("A customer asked you for a bespoke piece", "Quote it from your dashboard", "/maker"),
    )


def commission_quoted(event: CommissionQuoted, maker_name: str) -> Notice:
    link = f"/commissions/{event.commission_id}"
    return Notice(
        event.customer_id,
        Kind.COMMISSION_QUOTED,
        {
            "maker": maker_name,
            "price": money(event.price),
            "lead_time_days": event.lead_time_days,
            "link": link,
        },
        in_app=InApp(f"{maker_name} quoted for your commission", "", link),
    )


def payout_paid(event: PayoutPaid, maker_user: uuid.UUID) -> Notice:
    return Notice(
        maker_user,
        Kind.PAYOUT_PAID,
        {"amount": money(event.amount), "paid_at": event.paid_at.isoformat(), "link": "/maker"},
        in_app=InApp("Payout sent", f"{format_money(event.amount)} to your account", "/maker"),
    )


# --- conversations ---------------------------------------------------------------------------


def message_posted(event: ConversationMessagePosted, recipient: uuid.UUID, sender_name: str) -> Notice:
    """The other party of the conversation hears that `sender_name` wrote, with the start of
    the message (plain text: the HTML email escapes it like any value)."""
    link = f"/messages/{event.conversation_id}"
    kind = Kind.MESSAGE_FROM_CUSTOMER if event.sender_role == "customer" else Kind.MESSAGE_FROM_MAKER
    excerpt = event.excerpt + ("…" if len(event.excerpt) >= 140 else "")
    return Notice(
        recipient,
        kind,
        {"sender": sender_name, "subject": event.subject, "excerpt": excerpt, "link": link},
        in_app=InApp(f"New message from {sender_name}", event.excerpt[:140], link),
    )


# --- reviews -----------------------------------------------------------------------------------


def new_review(event: ReviewPublished, maker_user: uuid.UUID) -> Notice:
    """The maker hears a customer reviewed their piece: the stars and the title (plain text)."""
    stars = "★" * event.rating + "☆" * (5 - event.rating)
    return Notice(
        maker_user,
        Kind.NEW_REVIEW,
        {"rating": event.rating, "stars": stars, "title": event.title, "link": "/maker?tab=reviews"},
        in_app=InApp(f"New {event.rating}-star review", event.title[:140], "/maker?tab=reviews"),
    )


def review_replied(event: ReviewReplied, maker_name: str) -> Notice:
    """The customer hears the maker answered their review, on the piece's page."""
    link = f"/listings/{event.listing_id}#reviews"
    return Notice(
        event.customer_id,
        Kind.REVIEW_REPLIED,
        {"maker": maker_name, "link": link},
        in_app=InApp(f"{maker_name} replied to your review", "Read their reply on the piece's page", link),
    )
