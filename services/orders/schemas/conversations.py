"""Conversations: the customer's first message about an order, commission or listing, a reply,
and the conversation as its parties and operators see it. Messages are plain text: markup in
them is kept and shown as the characters it is."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.orders.domain.conversation import (
    MAX_MESSAGE_CHARS,
    Conversation,
    Message,
    Party,
    SubjectKind,
)
from services.orders.schemas.common import _Body, _View
from shared.paging import CURSOR_PATTERN, PageQuery
from shared.text import multi_line

MessageText = Annotated[
    str,
    multi_line(1, MAX_MESSAGE_CHARS),
    Field(description=f"1 to {MAX_MESSAGE_CHARS} characters of plain text (markup is shown as text)"),
]


class ConversationIn(_Body):
    order_id: uuid.UUID | None = Field(None, description="One of your orders")
    commission_id: uuid.UUID | None = Field(None, description="One of your commissions")
    listing_id: uuid.UUID | None = Field(None, description="A piece on sale")
    maker_id: uuid.UUID | None = Field(
        None,
        description="Which maker of an order from several to write to (required then; optional "
        "otherwise, and it must be the maker of what is named)",
    )
    body: MessageText


class MessageIn(_Body):
    body: MessageText


class ConversationQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    before: str | None = Field(
        None,
        max_length=512,
        description="Opaque cursor (`earlier_cursor`) to read the messages before those shown",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    )


class ConversationListQuery(PageQuery):
    pass


class MessageView(_View):
    id: uuid.UUID
    sender_role: Party
    body: str
    created_at: datetime


class SubjectView(_View):
    kind: SubjectKind
    id: uuid.UUID
    title: str


class ConversationSummary(_View):
    id: uuid.UUID
    customer_id: uuid.UUID
    maker_id: uuid.UUID
    maker_name: str | None = Field(None, description="The maker's display name")
    subject: SubjectView
    order_id: uuid.UUID | None
    commission_id: uuid.UUID | None
    listing_id: uuid.UUID | None
    last_message_at: datetime
    last_sender_role: Party | None
    unread: bool = Field(
        description="The other party wrote since the caller last opened it (operators: false)"
    )
    created_at: datetime
    version: int = Field(description="Goes up by one with each message")


class ConversationView(ConversationSummary):
    messages: list[MessageView] = Field(
        description="Oldest first: the newest 100, or those before `?before=`"
    )
    earlier_cursor: str | None = Field(None, description="Pass as `?before=` to read earlier messages")


def _subject_id(conversation: Conversation, kind: SubjectKind) -> uuid.UUID | None:
    return conversation.subject.id if conversation.subject.kind is kind else None


def conversation_summary(
    conversation: Conversation, party: Party | None, maker_name: str | None
) -> ConversationSummary:
    return ConversationSummary(**_summary_fields(conversation, party, maker_name))


def _summary_fields(
    conversation: Conversation, party: Party | None, maker_name: str | None
) -> dict[str, object]:
    return {
        "id": conversation.id,
        "customer_id": conversation.customer_id,
        "maker_id": conversation.maker_id,
        "maker_name": maker_name,
        "subject": SubjectView(
            kind=conversation.subject.kind, id=conversation.subject.id, title=conversation.subject.title
        ),
        "order_id": _subject_id(conversation, SubjectKind.ORDER),
        "commission_id": _subject_id(conversation, SubjectKind.COMMISSION),
        "listing_id": _subject_id(conversation, SubjectKind.LISTING),
        "last_message_at": conversation.last_message_at,
        "last_sender_role": conversation.last_sender_role,
        "unread": conversation.unread_for(party),
        "created_at": conversation.created_at,
        "version": conversation.version,
    }


def conversation_view(
    conversation: Conversation,
    party: Party | None,
    maker_name: str | None,
    messages: list[Message],
    earlier_cursor: str | None,
) -> ConversationView:
    """`messages` oldest first."""
    return ConversationView(
        **_summary_fields(conversation, party, maker_name),
        messages=[
            MessageView(id=m.id, sender_role=m.sender_role, body=m.body, created_at=m.created_at)
            for m in messages
        ],
        earlier_cursor=earlier_cursor,
    )
