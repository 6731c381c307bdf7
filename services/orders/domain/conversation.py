"""Conversations between a customer and a maker, each about one subject: an order of the
customer's (one conversation per maker of it), a commission of theirs, or a listing.

A conversation is started by its customer and holds the messages of its two parties; one
exists per (customer, maker, subject), so asking again about the same thing continues it.
Who may read or write is decided by the use cases (operators read, never write); here are
the rules of the conversation itself: what it may be about, how long a message may be, and
who spoke last.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from services.orders.domain.events import DomainEvent, utcnow
from services.orders.domain.serialisation import to_json
from shared.aggregate import Aggregate
from shared.errors import Violation, rules_violated

MAX_MESSAGE_CHARS = 2000
# What an event (and a notification) quotes of a message.
EXCERPT_CHARS = 140
MAX_SUBJECT_CHARS = 160


class Party(StrEnum):
    CUSTOMER = "customer"
    MAKER = "maker"


class SubjectKind(StrEnum):
    ORDER = "order"
    COMMISSION = "commission"
    LISTING = "listing"


@dataclass(frozen=True)
class Subject:
    """What a conversation is about, and how its parties see it named (`Order FF-7K3D-92QX-1`,
    a listing's title)."""

    kind: SubjectKind
    id: uuid.UUID
    title: str


def one_subject(
    order_id: uuid.UUID | None, commission_id: uuid.UUID | None, listing_id: uuid.UUID | None
) -> tuple[SubjectKind, uuid.UUID]:
    """The one thing a new conversation is about. Code: subject_required (none, or more than one)."""
    named = [
        (kind, value)
        for kind, value in (
            (SubjectKind.ORDER, order_id),
            (SubjectKind.COMMISSION, commission_id),
            (SubjectKind.LISTING, listing_id),
        )
        if value is not None
    ]
    if len(named) != 1:
        raise rules_violated(
            [
                Violation(
                    ("order_id",),
                    "Name one order, commission or listing the conversation is about",
                    "subject_required",
                )
            ]
        )
    return named[0]


def checked_body(body: str) -> str:
    """A message as kept: trimmed, 1 to MAX_MESSAGE_CHARS characters. Codes: message_required,
    message_too_long. Markup is kept as the text it is (pages show it as text)."""
    text = (body or "").strip()
    if not text:
        raise rules_violated([Violation(("body",), "Write a message", "message_required")])
    if len(text) > MAX_MESSAGE_CHARS:
        raise rules_violated(
            [Violation(("body",), f"At most {MAX_MESSAGE_CHARS} characters", "message_too_long")]
        )
    return text


@dataclass(frozen=True)
class Message:
    id: uuid.UUID
    conversation_id: uuid.UUID
    sender_role: Party
    sender_id: uuid.UUID
    body: str
    created_at: datetime


@dataclass(eq=False)
class Conversation(Aggregate[DomainEvent]):
    aggregate_type: ClassVar[str] = "conversation"

    id: uuid.UUID
    customer_id: uuid.UUID
    maker_id: uuid.UUID
    subject: Subject
    created_at: datetime
    last_message_at: datetime
    last_sender_role: Party | None = None
    # When each party last read it (opened it, or wrote in it).
    customer_read_at: datetime | None = None
    maker_read_at: datetime | None = None
    version: int = 0
    # Messages posted since it was loaded, for the store to add.
    new_messages: list[Message] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        *,
        customer_id: uuid.UUID,
        maker_id: uuid.UUID,
        subject: Subject,
        now: datetime | None = None,
    ) -> Conversation:
        """A conversation with no message yet; its customer's first message follows (`post`)."""
        now = now or utcnow()
        return cls(
            id=uuid.uuid4(),
            customer_id=customer_id,
            maker_id=maker_id,
            subject=Subject(subject.kind, subject.id, subject.title[:MAX_SUBJECT_CHARS]),
            created_at=now,
            last_message_at=now,
        )

    def party_of(self, *, user_id: uuid.UUID, maker_id: uuid.UUID | None) -> Party | None:
        """Which side `user_id` (a maker user when `maker_id` is theirs) is on; None for anyone
        else."""
        if user_id == self.customer_id:
            return Party.CUSTOMER
        if maker_id is not None and maker_id == self.maker_id:
            return Party.MAKER
        return None

    def post(self, *, by: Party, sender_id: uuid.UUID, body: str, now: datetime | None = None) -> Message:
        """Add a message from one of the two parties (the caller checked which). Codes:
        message_required, message_too_long."""
        text = checked_body(body)
        now = now or utcnow()
        message = Message(
            id=uuid.uuid4(),
            conversation_id=self.id,
            sender_role=by,
            sender_id=sender_id,
            body=text,
            created_at=now,
        )
        self.new_messages.append(message)
        self.last_message_at = now
        self.last_sender_role = by
        # Writing is reading what came before.
        self._read_by(by, now)
        self.version += 1
        self.record(
            DomainEvent(
                aggregate_type=self.aggregate_type,
                name="message_posted",
                aggregate_id=self.id,
                aggregate_version=self.version,
                occurred_at=now,
                data=to_json(
                    {
                        "conversation_id": self.id,
                        "message_id": message.id,
                        "order_id": self._subject_id(SubjectKind.ORDER),
                        "commission_id": self._subject_id(SubjectKind.COMMISSION),
                        "listing_id": self._subject_id(SubjectKind.LISTING),
                        "customer_id": self.customer_id,
                        "maker_id": self.maker_id,
                        "sender_role": by.value,
                        "excerpt": text[:EXCERPT_CHARS],
                        "posted_at": now,
                        "subject": self.subject.title,
                    }
                ),
            )
        )
        return message

    def _subject_id(self, kind: SubjectKind) -> uuid.UUID | None:
        return self.subject.id if self.subject.kind is kind else None

    def _read_by(self, party: Party, now: datetime) -> None:
        if party is Party.CUSTOMER:
            self.customer_read_at = now
        else:
            self.maker_read_at = now

    def unread_for(self, party: Party | None) -> bool:
        """Whether the other party wrote since `party` last read it (never, for operators)."""
        if party is None or self.last_sender_role in (None, party):
            return False
        read_at = self.customer_read_at if party is Party.CUSTOMER else self.maker_read_at
        return read_at is None or read_at < self.last_message_at
