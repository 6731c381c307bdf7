"""The notifications worker's event consumers: each event to the use case that keeps what it
says (who people are) or records what it owes them (emails, in-app notifications).

gateway.user.*        recipients: address, name, role, verification; account emails
makers.maker.*        which user each maker is; the application's decision
orders.*              receipts, cancellations, parcels, refunds, returns, commissions, payouts,
                      messages in conversations (to the other party)
reviews.review.*      a new review to the maker of the piece; the maker's reply to the customer
"""

from __future__ import annotations

from aiohttp import web

from services.notifications import usecases
from shared.consumer import Handler
from shared.contracts import Event
from shared.contracts.identity import (
    EmailChanged,
    EmailVerified,
    PasswordResetRequested,
    UserRegistered,
    VerificationRequested,
)
from shared.contracts.makers import MAKER_EVENTS
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
    OrderConfirmed,
    PayoutPaid,
    ReturnRefunded,
    ReturnRejected,
    ReturnRequested,
)
from shared.contracts.reviews import ReviewPublished, ReviewReplied


def handlers(app: web.Application) -> dict[type[Event], Handler]:
    return {
        UserRegistered: usecases.on_registered,
        VerificationRequested: usecases.on_verification_requested,
        EmailVerified: usecases.on_email_verified,
        PasswordResetRequested: usecases.on_password_reset_requested,
        EmailChanged: usecases.on_email_changed,
        **dict.fromkeys(MAKER_EVENTS, usecases.on_maker_changed),
        OrderConfirmed: usecases.on_order_confirmed,
        OrderCancelled: usecases.on_order_cancelled,
        MakerOrderDispatched: usecases.on_parcel,
        MakerOrderDelivered: usecases.on_parcel,
        MakerOrderDeclined: usecases.on_part_declined,
        MakerOrderCancelled: usecases.on_maker_order_cancelled,
        MakerOrderRefunded: usecases.on_part_refunded,
        ReturnRequested: usecases.on_return_requested,
        ReturnRefunded: usecases.on_return_refunded,
        ReturnRejected: usecases.on_return_rejected,
        CommissionRequested: usecases.on_commission_requested,
        CommissionQuoted: usecases.on_commission_quoted,
        PayoutPaid: usecases.on_payout_paid,
        ConversationMessagePosted: usecases.on_message_posted,
        ReviewPublished: usecases.on_review_published,
        ReviewReplied: usecases.on_review_replied,
    }
