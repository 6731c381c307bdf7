"""The notifications rules and templates, without I/O: categories and preferences, the retry
timing, unsubscribe tokens, money as people read it, and every kind of notice rendered from the
context its event gives (so a template naming something its notice lacks fails here, not in a
parked email)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.notifications.domain import (
    Backoff,
    Category,
    EmailPreferences,
    Kind,
    Notice,
    format_money,
    read_unsubscribe_token,
    unsubscribe_token,
)
from services.notifications.domain import notices as owed
from services.notifications.render import Renderer, compose
from shared.contracts.identity import EmailChanged
from shared.contracts.orders import (
    CommissionQuoted,
    CommissionRequested,
    ConversationMessagePosted,
    MakerOrderCancelled,
    MakerOrderDeclined,
    MakerOrderDelivered,
    MakerOrderDispatched,
    MakerOrderRefunded,
    OrderCancelled,
    PayoutPaid,
    ReturnLineData,
    ReturnRefunded,
    ReturnRejected,
    ReturnRequested,
)
from shared.contracts.reviews import ReviewPublished, ReviewReplied
from shared.money import Money
from tests.support.notifications import (
    Maker,
    confirmed,
    gbp,
    maker_snapshot,
    part_fields,
    password_reset,
    person,
    return_fields,
    verification,
)

SECRET = "test-secret"


def test_only_optional_categories_may_be_turned_off() -> None:
    chosen = EmailPreferences(order_updates=False, maker_orders=False, reviews=False, marketing=False)
    assert not chosen.wants(Category.ORDER_UPDATES)
    assert chosen.wants(Category.ACCOUNT) and chosen.wants(Category.TRANSACTIONAL)
    assert chosen.without(Category.TRANSACTIONAL) == chosen
    assert EmailPreferences().without(Category.MAKER_ORDERS).model_dump() == {
        "order_updates": True,
        "maker_orders": False,
        "reviews": True,
        "marketing": False,
    }
    assert {kind.category for kind in Kind if not kind.category.optional} == {
        Category.ACCOUNT,
        Category.TRANSACTIONAL,
    }
    for kind in (Kind.ORDER_CONFIRMED, Kind.REFUND_ISSUED, Kind.PAYOUT_PAID, Kind.VERIFY_EMAIL):
        assert not kind.category.optional


def test_the_wait_doubles_to_its_cap_and_the_email_parks_after_the_last_attempt() -> None:
    backoff = Backoff(base_s=2, cap_s=60, max_attempts=5)
    assert [backoff.delay(n).total_seconds() for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    assert backoff.delay(10_000) == timedelta(seconds=60)
    assert not backoff.exhausted(4) and backoff.exhausted(5)


def test_an_unsubscribe_token_names_its_person_and_category_and_cannot_be_forged() -> None:
    user_id = uuid.uuid4()
    token = unsubscribe_token(SECRET, user_id, Category.ORDER_UPDATES)
    who = read_unsubscribe_token(SECRET, token)
    assert who is not None and (who.user_id, who.category) == (user_id, Category.ORDER_UPDATES)
    user_hex, _, signature = token.split(".")
    forged = [
        f"{user_hex}.maker_orders.{signature}",
        f"{uuid.uuid4().hex}.order_updates.{signature}",
        token[:-1],
        f"{user_hex}.transactional.{signature}",
        "not-a-token",
        "a.b.c",
    ]
    assert [read_unsubscribe_token(SECRET, bad) for bad in forged] == [None] * len(forged)
    assert read_unsubscribe_token("another secret", token) is None
    with pytest.raises(ValueError):
        unsubscribe_token(SECRET, user_id, Category.ACCOUNT)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (12450, "GBP", "£124.50"),
        (-500, "EUR", "-€5.00"),
        (123456789, "USD", "$1,234,567.89"),
        (100, "CHF", "1.00 CHF"),
    ],
)
def test_money_reads_as_people_write_it(amount: int, currency: str, shown: str) -> None:
    assert format_money(Money(amount=amount, currency=currency)) == shown


# --- every kind renders ------------------------------------------------------------------------


def every_notice() -> list[Notice | None]:
    customer = person()
    maker = Maker(person(role="maker"), "Wren & Co <Silver>")
    approved = maker_snapshot(maker)
    order = confirmed(customer, [maker])
    part = order.maker_orders[0]
    now = datetime.now(UTC)
    common = part_fields(order)
    money_back = {"gross": part.gross, "commission": part.commission, "net": part.net}
    returning = return_fields(order)
    commission = {"commission_id": uuid.uuid4(), "maker_id": maker.maker_id, "customer_id": customer.user_id}
    decision = owed.application_decision(approved.event_type, maker.person.user_id, maker.name)
    assert decision is not None
    return [
        owed.verification(verification(customer)),
        owed.password_reset(password_reset(customer, expires_at=now)),
        owed.email_changed(
            EmailChanged(user_id=customer.user_id, email="n@example.com", previous_email="o@e.com"), "A"
        ),
        decision,
        owed.application_decision("makers.maker.changes_requested", maker.person.user_id, maker.name),
        owed.application_decision("makers.maker.rejected", maker.person.user_id, maker.name),
        *owed.order_confirmed(order, {maker.maker_id: maker.person.user_id}),
        owed.order_cancelled(
            OrderCancelled(
                order_id=order.order_id, customer_id=customer.user_id, reason="expired", release_stock=False
            )
        ),
        owed.parcel(
            MakerOrderDispatched(**common, status="dispatched", carrier="DPD", tracking_number="1"),
            customer.user_id,
            maker.name,
        ),
        owed.parcel(
            MakerOrderDelivered(**common, status="delivered", **money_back), customer.user_id, maker.name
        ),
        owed.part_declined(MakerOrderDeclined(**common, status="declined"), customer.user_id, maker.name),
        owed.maker_order_cancelled(MakerOrderCancelled(**common, status="cancelled"), maker.person.user_id),
        owed.refund(
            MakerOrderRefunded(**common, status="delivered", reason="r", refund=gbp(5), **money_back),
            customer.user_id,
            part.reference,
        ),
        owed.refund(
            ReturnRefunded(
                **returning,
                return_id=uuid.uuid4(),
                status="refunded",
                refund=gbp(5),
                shipping=gbp(0),
                **money_back,
            ),
            customer.user_id,
            None,
        ),
        owed.return_requested(
            ReturnRequested(
                **returning,
                return_id=uuid.uuid4(),
                status="requested",
                reason="changed_mind",
                lines=[ReturnLineData(line_id=uuid.uuid4(), quantity=2, amount=gbp(1))],
            ),
            maker.person.user_id,
            order.reference,
        ),
        owed.return_rejected(
            ReturnRejected(**returning, return_id=uuid.uuid4(), status="rejected", reason="worn"), None
        ),
        owed.commission_requested(
            CommissionRequested(**commission, status="requested", deadline=date(2031, 1, 1)),
            maker.person.user_id,
        ),
        owed.commission_quoted(
            CommissionQuoted(**commission, status="quoted", price=gbp(100), lead_time_days=3), maker.name
        ),
        owed.payout_paid(
            PayoutPaid(payout_id=uuid.uuid4(), maker_id=maker.maker_id, amount=gbp(9), paid_at=now),
            maker.person.user_id,
        ),
        *(
            owed.message_posted(
                ConversationMessagePosted(
                    conversation_id=uuid.uuid4(),
                    message_id=uuid.uuid4(),
                    listing_id=uuid.uuid4(),
                    customer_id=customer.user_id,
                    maker_id=maker.maker_id,
                    sender_role=role,
                    excerpt="Is it <b>sterling</b> & hallmarked?",
                    posted_at=now,
                    subject="Moonstone <drop> earrings",
                ),
                recipient,
                sender,
            )
            for role, recipient, sender in (
                ("customer", maker.person.user_id, customer.name),
                ("maker", customer.user_id, maker.name),
            )
        ),
        owed.new_review(
            ReviewPublished(
                review_id=uuid.uuid4(),
                listing_id=uuid.uuid4(),
                maker_id=maker.maker_id,
                maker_order_id=part.maker_order_id,
                customer_id=customer.user_id,
                rating=4,
                title="<b>Lovely</b> & bright",
                published_at=now,
            ),
            maker.person.user_id,
        ),
        owed.review_replied(
            ReviewReplied(
                review_id=uuid.uuid4(),
                listing_id=uuid.uuid4(),
                maker_id=maker.maker_id,
                customer_id=customer.user_id,
                replied_at=now,
            ),
            maker.name,
        ),
    ]


def test_every_kind_of_notice_renders_both_parts_with_its_links() -> None:
    notices = [notice for notice in every_notice() if notice is not None]
    assert {notice.kind for notice in notices} == set(Kind)
    renderer = Renderer("https://shop.example")
    for notice in notices:
        unsubscribe = "https://shop.example/u?token=x" if notice.kind.category.optional else None
        rendered = renderer.render(notice.kind, {"name": "Ada", **notice.context}, unsubscribe)
        assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
        link = renderer.url(notice.context["link"])
        assert link in rendered.text and link.replace("&", "&amp;") in rendered.html, notice.kind
        assert ("https://shop.example/u?token=x" in rendered.text) == (unsubscribe is not None)
        # Names are text, never markup.
        assert "<Silver>" not in rendered.html
        message = compose(
            rendered,
            sender="Forge & Facet <hello@shop.example>",
            to="ada@example.com",
            delivery_id="d-1",
            kind=notice.kind,
            unsubscribe_url=unsubscribe,
        )
        assert message["Message-ID"] == "<d-1@shop.example>"
        assert (message["List-Unsubscribe-Post"] is not None) == (unsubscribe is not None)


def test_a_template_that_names_what_its_context_lacks_fails() -> None:
    renderer = Renderer("https://shop.example")
    with pytest.raises(Exception, match="undefined"):
        renderer.render(Kind.ORDER_CONFIRMED, {"name": "Ada", "reference": "FF-1"}, None)


def test_titles_name_the_order_by_its_reference_as_written() -> None:
    customer = person()
    cancelled = OrderCancelled(
        order_id=uuid.uuid4(),
        reference="FF-7K3D-92QX",
        customer_id=customer.user_id,
        reason="expired",
        release_stock=False,
    )
    in_app = owed.order_cancelled(cancelled).in_app
    assert in_app is not None and in_app.title == "Order FF-7K3D-92QX was cancelled"
    older = owed.order_cancelled(cancelled.model_copy(update={"reference": None})).in_app
    assert older is not None and older.title == "Your order was cancelled"
