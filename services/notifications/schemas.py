"""What the notifications API takes and answers (pydantic)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.notifications.domain import EmailPreferences
from services.notifications.store import InAppRow
from shared.paging import PageQuery


class NotificationView(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="What happened (`parcel_dispatched`, `order_confirmed`…)")
    title: str
    body: str
    link: str | None = Field(description="The storefront page it is about, a path")
    read_at: datetime | None
    created_at: datetime


def notification_view(row: InAppRow) -> NotificationView:
    return NotificationView(
        id=row.id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        link=row.link,
        read_at=row.read_at,
        created_at=row.created_at,
    )


class NotificationsQuery(PageQuery):
    pass


class UnreadQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    wait: int = Field(
        0,
        ge=0,
        le=25,
        description="Seconds to hold the answer while the count is still `after` (long poll; at most 25)",
    )
    after: int | None = Field(None, ge=0, description="The count the caller already shows")


class UnreadCount(BaseModel):
    count: int


class ReadAll(BaseModel):
    marked: int = Field(description="How many notifications were unread")


class Preferences(BaseModel):
    """Account and transactional emails (verification, password reset, receipts, refunds,
    payouts) are always sent and are not among these."""

    model_config = ConfigDict(extra="forbid")

    email: EmailPreferences


class UnsubscribeQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    token: str = Field(min_length=1, max_length=200, description="The token of the email's link")


class Unsubscribed(BaseModel):
    category: str = Field(description="The category turned off")
