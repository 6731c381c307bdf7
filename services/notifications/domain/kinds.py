"""What the service sends: each kind of message, the category it belongs to, and whether a
person may turn that category off.

Account messages (verification, password reset, an address change, a maker's application
decision) and transactional ones (the receipt, a cancellation, a refund, a payout: records of
money and contracts people are owed by law or by the sale) are always sent and carry no
unsubscribe link. Every other message belongs to a category a person may turn off from their
preferences or with the one-click unsubscribe of the message itself.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Category(StrEnum):
    ACCOUNT = "account"
    TRANSACTIONAL = "transactional"
    ORDER_UPDATES = "order_updates"
    MAKER_ORDERS = "maker_orders"
    REVIEWS = "reviews"
    MARKETING = "marketing"

    @property
    def optional(self) -> bool:
        """Whether a person may turn it off (and its emails carry List-Unsubscribe)."""
        return self not in (Category.ACCOUNT, Category.TRANSACTIONAL)


class Kind(StrEnum):
    """One kind of message: its templates are templates/<kind>.txt and .html."""

    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"
    EMAIL_CHANGED = "email_changed"
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_CHANGES_REQUESTED = "application_changes_requested"
    APPLICATION_REJECTED = "application_rejected"
    ORDER_CONFIRMED = "order_confirmed"
    ORDER_CANCELLED = "order_cancelled"
    PART_DECLINED = "part_declined"
    REFUND_ISSUED = "refund_issued"
    PAYOUT_PAID = "payout_paid"
    PARCEL_DISPATCHED = "parcel_dispatched"
    PARCEL_DELIVERED = "parcel_delivered"
    RETURN_UPDATED = "return_updated"
    COMMISSION_QUOTED = "commission_quoted"
    NEW_MAKER_ORDER = "new_maker_order"
    MAKER_ORDER_CANCELLED = "maker_order_cancelled"
    RETURN_REQUESTED = "return_requested"
    COMMISSION_REQUESTED = "commission_requested"
    # A message in a conversation: to the maker from a customer, to the customer from a maker.
    MESSAGE_FROM_CUSTOMER = "message_from_customer"
    MESSAGE_FROM_MAKER = "message_from_maker"
    # A customer reviewed a maker's piece; the maker answered a customer's review.
    NEW_REVIEW = "new_review"
    REVIEW_REPLIED = "review_replied"

    @property
    def category(self) -> Category:
        return CATEGORIES[self]


CATEGORIES: dict[Kind, Category] = {
    Kind.VERIFY_EMAIL: Category.ACCOUNT,
    Kind.PASSWORD_RESET: Category.ACCOUNT,
    Kind.EMAIL_CHANGED: Category.ACCOUNT,
    Kind.APPLICATION_APPROVED: Category.ACCOUNT,
    Kind.APPLICATION_CHANGES_REQUESTED: Category.ACCOUNT,
    Kind.APPLICATION_REJECTED: Category.ACCOUNT,
    Kind.ORDER_CONFIRMED: Category.TRANSACTIONAL,
    Kind.ORDER_CANCELLED: Category.TRANSACTIONAL,
    Kind.PART_DECLINED: Category.TRANSACTIONAL,
    Kind.REFUND_ISSUED: Category.TRANSACTIONAL,
    Kind.PAYOUT_PAID: Category.TRANSACTIONAL,
    Kind.PARCEL_DISPATCHED: Category.ORDER_UPDATES,
    Kind.PARCEL_DELIVERED: Category.ORDER_UPDATES,
    Kind.RETURN_UPDATED: Category.ORDER_UPDATES,
    Kind.COMMISSION_QUOTED: Category.ORDER_UPDATES,
    Kind.NEW_MAKER_ORDER: Category.MAKER_ORDERS,
    Kind.MAKER_ORDER_CANCELLED: Category.MAKER_ORDERS,
    Kind.RETURN_REQUESTED: Category.MAKER_ORDERS,
    Kind.COMMISSION_REQUESTED: Category.MAKER_ORDERS,
    Kind.MESSAGE_FROM_CUSTOMER: Category.MAKER_ORDERS,
    Kind.MESSAGE_FROM_MAKER: Category.ORDER_UPDATES,
    Kind.NEW_REVIEW: Category.REVIEWS,
    Kind.REVIEW_REPLIED: Category.REVIEWS,
}


# What a person is told a category they may turn off is about ("emails about …").
CATEGORY_NAMES: dict[Category, str] = {
    Category.ORDER_UPDATES: "updates on your orders",
    Category.MAKER_ORDERS: "orders for your workshop",
    Category.REVIEWS: "reviews",
    Category.MARKETING: "news from the marketplace",
}


class EmailPreferences(BaseModel):
    """The optional categories a person receives; account and transactional emails are not
    among them. Someone who never chose has these defaults: marketing is asked for, never
    assumed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_updates: bool = True
    maker_orders: bool = True
    reviews: bool = True
    marketing: bool = False

    def wants(self, category: Category) -> bool:
        if not category.optional:
            return True
        wanted: bool = getattr(self, category.value)
        return wanted

    def without(self, category: Category) -> EmailPreferences:
        """These preferences with `category` turned off (an optional one: the others stay on)."""
        if not category.optional:
            return self
        return self.model_copy(update={category.value: False})
