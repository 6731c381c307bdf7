"""Every email of the contract, end to end: a real notifications service (API, worker, relay)
consuming events from RabbitMQ, sending to a real SMTP server (aiosmtpd). For each, the right
person gets it, with the right subject, the order's reference, the right links, and a one-click
unsubscribe exactly when the email is not an account or transactional one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import asyncpg
import pytest

from ops.mailbox import Mail
from shared.contracts.identity import EmailChanged
from shared.contracts.makers import MakerChangesRequested, MakerRejected
from shared.contracts.orders import (
    CommissionQuoted,
    CommissionRequested,
    MakerOrderCancelled,
    MakerOrderDeclined,
    MakerOrderDelivered,
    MakerOrderDispatched,
    MakerOrderRefunded,
    OrderCancelled,
    OrderConfirmed,
    PayoutPaid,
    ReturnLineData,
    ReturnRefunded,
    ReturnRejected,
    ReturnRequested,
)
from tests.support.harness import ServiceProcess, TestEnvironment
from tests.support.notifications import (
    PUBLIC_URL,
    Maker,
    Person,
    approved_maker,
    confirmed,
    customer_and_makers,
    gbp,
    maker_snapshot,
    part_fields,
    password_reset,
    person,
    register,
    return_fields,
    start_notifications,
    tell,
    verification,
)
from tests.support.smtp import SmtpCatcher, smtp_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def notifications(
    services_db: dict, service_processes: Callable[..., ServiceProcess], smtp_server: SmtpCatcher
) -> ServiceProcess:
    return start_notifications(service_processes, smtp_server)


@pytest.fixture
def ns(test_env: TestEnvironment, notifications: ServiceProcess) -> str:
    return test_env.namespace


def unsubscribe_of(mail: Mail) -> str | None:
    return mail.header("List-Unsubscribe")


def assert_transactional(mail: Mail) -> None:
    assert unsubscribe_of(mail) is None and mail.header("List-Unsubscribe-Post") is None


def assert_optional(mail: Mail) -> None:
    header = unsubscribe_of(mail)
    assert header is not None and header.startswith(f"<{PUBLIC_URL}/api/v1/notifications/unsubscribe?token=")
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"


def assert_parts(mail: Mail, *phrases: str) -> None:
    """Both parts say it (the HTML escapes `&`)."""
    for phrase in phrases:
        assert phrase in mail.text, (phrase, mail.text)
        assert phrase.replace("&", "&amp;") in mail.html, (phrase, mail.html)


# --- accounts --------------------------------------------------------------------------------


async def test_verification_email_carries_the_single_use_link(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    ada = person()
    await register(ns, db, ada)
    await tell(ns, verification(ada, token="v3rify-Tok_en"), ada.user_id)
    [mail] = await smtp_server.wait_for(ada.email)
    assert mail.subject == "Confirm your email address"
    assert f"{PUBLIC_URL}/verify-email?token=v3rify-Tok_en" in mail.links
    assert_parts(mail, "Hello Ada Lovelace", "The link works once")
    assert mail.header("Message-ID").startswith("<") and mail.header("X-Notification-Kind") == "verify_email"
    assert_transactional(mail)


async def test_password_reset_goes_to_the_address_the_request_named(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    ada = person()
    await register(ns, db, ada)
    await tell(
        ns, password_reset(ada, token="r3set", expires_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC)), ada.user_id
    )
    [mail] = await smtp_server.wait_for(ada.email)
    assert mail.subject == "Reset your password"
    assert f"{PUBLIC_URL}/reset-password?token=r3set" in mail.links
    assert_parts(mail, "2 January 2030, 03:04 UTC")
    assert_transactional(mail)


async def test_an_address_change_is_told_to_the_old_address(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    ada = person()
    await register(ns, db, ada)
    new_address = f"new-{ada.email}"
    await tell(
        ns, EmailChanged(user_id=ada.user_id, email=new_address, previous_email=ada.email), ada.user_id
    )
    [mail] = await smtp_server.wait_for(ada.email)
    assert mail.subject == "Your email address was changed"
    assert_parts(mail, new_address)
    assert_transactional(mail)
    # From now on, emails go to the new address.
    await tell(ns, verification(ada), ada.user_id)
    [later] = await smtp_server.wait_for(ada.email, subject="Confirm")
    assert later.to == [ada.email]
    ada.email = new_address


# --- makers' applications ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "status", "subject"),
    [
        (None, "approved", "Welcome to Forge & Facet: your application is approved"),
        (MakerChangesRequested, "changes_requested", "Your maker application needs a few changes"),
        (MakerRejected, "rejected", "About your maker application"),
    ],
)
async def test_a_maker_hears_the_decision_on_their_application(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher, event: type | None, status: str, subject: str
) -> None:
    if event is None:
        maker = await approved_maker(ns, db)
    else:
        maker = Maker(person(role="maker", name="Robin Wren"), "Wren Silver")
        await register(ns, db, maker.person)
        await tell(ns, maker_snapshot(maker, event, status), maker.maker_id, maker.version)
    [mail] = await smtp_server.wait_for(maker.person.email)
    assert mail.subject == subject
    assert f"{PUBLIC_URL}/maker" in mail.links
    assert_parts(mail, "Hello Wren Silver")
    assert_transactional(mail)


# --- orders ------------------------------------------------------------------------------------


async def ordered(
    ns: str, smtp_server: SmtpCatcher, customer: Person, maker: Maker, reference: str, heard_by: str
) -> OrderConfirmed:
    """An order of one piece from `maker`, once `heard_by` has its email (the order is known, so
    its later events come after it, as they do from orders)."""
    order = confirmed(customer, [maker], reference=reference)
    await tell(ns, order, order.order_id)
    await smtp_server.wait_for(heard_by, subject=reference)
    return order


async def test_the_receipt_goes_to_the_customer_and_each_maker_hears_of_their_order(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    customer, makers = await customer_and_makers(ns, db, makers=2)
    order = confirmed(customer, makers, reference="FF-AAAA-1111")
    await tell(ns, order, order.order_id)
    [receipt] = await smtp_server.wait_for(customer.email)
    assert receipt.subject == "Your order FF-AAAA-1111 is confirmed"
    assert_parts(
        receipt,
        "Hammered silver ring by Maker 1",
        "Hammered silver ring by Maker 2",
        "£120.00",
        "£9.00",
        "£249.00",
        "This email is your receipt",
    )
    assert f"{PUBLIC_URL}/orders/{order.order_id}" in receipt.links
    assert_transactional(receipt)
    for position, maker in enumerate(makers, start=1):
        [mail] = await smtp_server.wait_for(maker.person.email, subject="New order")
        assert mail.subject == f"New order FF-AAAA-1111-{position}"
        assert_parts(mail, "£124.50", "£106.50 to you after commission")
        assert f"{PUBLIC_URL}/maker" in mail.links
        assert_optional(mail)


async def test_a_cancelled_order_says_why_and_what_is_refunded(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    customer = person()
    await register(ns, db, customer)
    order_id = uuid.uuid4()
    cancelled = OrderCancelled(
        order_id=order_id,
        reference="FF-CCCC-2222",
        customer_id=customer.user_id,
        reason="maker_declined",
        release_stock=True,
        refund=gbp(3000),
    )
    await tell(ns, cancelled, order_id)
    [mail] = await smtp_server.wait_for(customer.email)
    assert mail.subject == "Your order FF-CCCC-2222 is cancelled"
    assert_parts(mail, "the maker could not take it on", "£30.00")
    assert_transactional(mail)


async def test_parcels_refunds_and_a_declined_part_reach_the_customer(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    customer, [maker] = await customer_and_makers(ns, db)
    order = await ordered(ns, smtp_server, customer, maker, "FF-DDDD-3333", heard_by=customer.email)
    part = order.maker_orders[0]
    common = part_fields(order)
    events = [
        MakerOrderDispatched(
            **common, status="dispatched", carrier="Royal Mail", tracking_number="RM123456789GB"
        ),
        MakerOrderDelivered(
            **common, status="delivered", gross=part.gross, commission=part.commission, net=part.net
        ),
        MakerOrderRefunded(
            **common,
            status="delivered",
            reason="the clasp broke",
            refund=gbp(12450),
            gross=part.gross,
            commission=part.commission,
            net=part.net,
        ),
        MakerOrderDeclined(**common, status="declined", reason="no silver", refund=gbp(12450)),
    ]
    for event in events:
        await tell(ns, event, part.maker_order_id)
    mails = await smtp_server.wait_for(customer.email, count=5)
    by_subject = {mail.subject: mail for mail in mails}
    dispatched = by_subject["Your parcel from Maker 1 is on its way"]
    assert_parts(dispatched, "Royal Mail", "RM123456789GB", "FF-DDDD-3333-1")
    assert_optional(dispatched)
    assert_optional(by_subject["Your parcel from Maker 1 has arrived"])
    refund = by_subject["Your refund of £124.50"]
    assert_parts(refund, "the clasp broke")
    assert_transactional(refund)
    declined = by_subject["Part of your order FF-DDDD-3333-1 is refunded"]
    assert_transactional(declined)
    for mail in mails[1:]:
        assert f"{PUBLIC_URL}/orders/{order.order_id}" in mail.links


async def test_a_maker_hears_of_a_cancelled_order_a_return_a_commission_and_a_payout(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    customer, [maker] = await customer_and_makers(ns, db)
    order = await ordered(ns, smtp_server, customer, maker, "FF-EEEE-4444", heard_by=maker.person.email)
    part = order.maker_orders[0]
    await tell(ns, MakerOrderCancelled(**part_fields(order), status="cancelled"), part.maker_order_id)
    return_id = uuid.uuid4()
    await tell(
        ns,
        ReturnRequested(
            **return_fields(order),
            return_id=return_id,
            status="requested",
            reason="faulty",
            lines=[ReturnLineData(line_id=part.line_ids[0], quantity=1, amount=gbp(12000))],
        ),
        return_id,
    )
    commission_id = uuid.uuid4()
    await tell(
        ns,
        CommissionRequested(
            commission_id=commission_id,
            maker_id=maker.maker_id,
            customer_id=customer.user_id,
            status="requested",
            budget=gbp(50000),
            deadline=date(2031, 5, 1),
        ),
        commission_id,
    )
    await tell(
        ns,
        PayoutPaid(
            payout_id=uuid.uuid4(), maker_id=maker.maker_id, amount=gbp(10650), paid_at=datetime.now(UTC)
        ),
        maker.maker_id,
    )
    # After the welcome and the new order: four more.
    mails = await smtp_server.wait_for(maker.person.email, count=6)
    by_subject = {mail.subject: mail for mail in mails}
    assert_optional(by_subject["Order FF-EEEE-4444-1 is cancelled"])
    returned = by_subject["A customer is returning 1 piece"]
    assert_parts(returned, "FF-EEEE-4444", "the piece is faulty")
    assert_optional(returned)
    asked = by_subject["A customer asked you for a bespoke piece"]
    assert_parts(asked, "£500.00", "1 May 2031")
    assert_transactional(by_subject["We have paid you £106.50"])
    for mail in mails[1:]:
        assert f"{PUBLIC_URL}/maker" in mail.links


async def test_a_customer_hears_of_a_quote_and_of_their_return(
    ns: str, db: asyncpg.Connection, smtp_server: SmtpCatcher
) -> None:
    customer, [maker] = await customer_and_makers(ns, db)
    commission_id = uuid.uuid4()
    await tell(
        ns,
        CommissionQuoted(
            commission_id=commission_id,
            maker_id=maker.maker_id,
            customer_id=customer.user_id,
            status="quoted",
            price=gbp(45000),
            lead_time_days=21,
        ),
        commission_id,
    )
    [quote] = await smtp_server.wait_for(customer.email)
    assert quote.subject == "Maker 1 has quoted for your commission"
    assert_parts(quote, "£450.00", "21 days")
    assert f"{PUBLIC_URL}/commissions/{commission_id}" in quote.links
    assert_optional(quote)

    order = await ordered(ns, smtp_server, customer, maker, "FF-FFFF-5555", heard_by=customer.email)
    returning = return_fields(order)
    await tell(
        ns, ReturnRejected(**returning, return_id=uuid.uuid4(), status="rejected", reason="It was worn."), 1
    )
    money_back = {"gross": gbp(-12000), "commission": gbp(-1800), "net": gbp(-10200)}
    await tell(
        ns,
        ReturnRefunded(
            **returning,
            **money_back,
            return_id=uuid.uuid4(),
            status="refunded",
            refund=gbp(12450),
            shipping=gbp(450),
        ),
        2,
    )
    mails = await smtp_server.wait_for(customer.email, count=4)
    by_subject = {mail.subject: mail for mail in mails}
    rejected = by_subject["About your return"]
    assert_parts(rejected, "FF-FFFF-5555", "It was worn.")
    assert_optional(rejected)
    refunded = by_subject["Your refund of £124.50"]
    assert_parts(refunded, "your return arrived")
    assert_transactional(refunded)
