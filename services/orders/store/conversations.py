"""Conversations and their messages: claim one for a (customer, maker, subject) (locked and
tracked), load, read, save (over the version loaded, adding the new messages), the lists, and
the parties' read marks."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.orders.domain.conversation import Conversation, Message, Party, Subject, SubjectKind
from services.orders.store.common import Position, Where, check_saved, emit_events, keyset_page
from shared.db import Executor, UnitOfWork

_COLUMNS = (
    "id, customer_id, maker_id, subject_kind, subject_id, subject_title, version, created_at, "
    "last_message_at, last_sender_role, customer_read_at, maker_read_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM conversations"
_SELECT_MESSAGE = (
    "SELECT id, conversation_id, sender_role, sender_id, body, created_at FROM conversation_messages"
)


def _conversation(row: asyncpg.Record) -> Conversation:
    return Conversation(
        id=row["id"],
        customer_id=row["customer_id"],
        maker_id=row["maker_id"],
        subject=Subject(SubjectKind(row["subject_kind"]), row["subject_id"], row["subject_title"]),
        created_at=row["created_at"],
        last_message_at=row["last_message_at"],
        last_sender_role=Party(row["last_sender_role"]) if row["last_sender_role"] else None,
        customer_read_at=row["customer_read_at"],
        maker_read_at=row["maker_read_at"],
        version=row["version"],
    )


def _message(row: asyncpg.Record) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        sender_role=Party(row["sender_role"]),
        sender_id=row["sender_id"],
        body=row["body"],
        created_at=row["created_at"],
    )


async def claim_conversation(uow: UnitOfWork, fresh: Conversation) -> Conversation:
    """The conversation of `fresh`'s customer and maker about its subject, to change: `fresh`
    itself when none existed, else the one there is (two customers' requests at once make one).
    Locked until the unit of work ends, and tracked."""
    subject = fresh.subject
    await uow.conn.execute(
        "INSERT INTO conversations (id, customer_id, maker_id, subject_kind, subject_id, subject_title, "
        "version, created_at, last_message_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT ON CONSTRAINT conversations_once DO NOTHING",
        fresh.id,
        fresh.customer_id,
        fresh.maker_id,
        subject.kind.value,
        subject.id,
        subject.title,
        fresh.version,
        fresh.created_at,
        fresh.last_message_at,
    )
    row = await uow.conn.fetchrow(
        f"{_SELECT} WHERE customer_id = $1 AND maker_id = $2 AND subject_kind = $3 AND subject_id = $4 "
        "FOR UPDATE",
        fresh.customer_id,
        fresh.maker_id,
        subject.kind.value,
        subject.id,
    )
    assert row is not None  # inserted above, or there already
    return uow.track(_conversation(row))


async def load_conversation(uow: UnitOfWork, conversation_id: UUID) -> Conversation | None:
    """A conversation to change: locked and tracked, like `load_order`."""
    row = await uow.conn.fetchrow(f"{_SELECT} WHERE id = $1 FOR UPDATE", conversation_id)
    return uow.track(_conversation(row)) if row else None


async def read_conversation(db: Executor, conversation_id: UUID) -> Conversation | None:
    row = await db.fetchrow(f"{_SELECT} WHERE id = $1", conversation_id)
    return _conversation(row) if row else None


async def save_conversation(uow: UnitOfWork, conversation: Conversation) -> None:
    """Write what changed over the version loaded, add the messages posted, and put the events
    into the outbox."""
    loaded = uow.loaded_version(conversation)
    if loaded is None:
        raise LookupError("a conversation is claimed (claim_conversation) before it is saved")
    if conversation.version != loaded:
        result = await uow.conn.execute(
            "UPDATE conversations SET version = $3, last_message_at = $4, last_sender_role = $5, "
            "customer_read_at = $6, maker_read_at = $7 WHERE id = $1 AND version = $2",
            conversation.id,
            loaded,
            conversation.version,
            conversation.last_message_at,
            conversation.last_sender_role.value if conversation.last_sender_role else None,
            conversation.customer_read_at,
            conversation.maker_read_at,
        )
        check_saved(result, "conversation")
    if conversation.new_messages:
        await uow.conn.executemany(
            "INSERT INTO conversation_messages "
            "(id, conversation_id, sender_role, sender_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            [
                (m.id, m.conversation_id, m.sender_role.value, m.sender_id, m.body, m.created_at)
                for m in conversation.new_messages
            ],
        )
        conversation.new_messages.clear()
    uow.mark_saved(conversation)
    emit_events(uow, conversation.pull_events())


async def mark_read(db: Executor, conversation_id: UUID, party: Party, at: datetime) -> None:
    """`party` has read the conversation up to `at` (a read mark never moves back)."""
    column = "customer_read_at" if party is Party.CUSTOMER else "maker_read_at"
    await db.execute(
        f"UPDATE conversations SET {column} = $2 WHERE id = $1 AND ({column} IS NULL OR {column} < $2)",
        conversation_id,
        at,
    )


async def conversations_page(
    db: Executor,
    *,
    customer_id: UUID | None,
    maker_id: UUID | None,
    after: Position | None,
    limit: int,
) -> tuple[list[Conversation], Position | None]:
    """Newest activity first; a customer's, a maker's, or (neither given) everyone's."""
    where = Where()
    if customer_id is not None:
        where.add("customer_id = {}", customer_id)
    if maker_id is not None:
        where.add("maker_id = {}", maker_id)
    rows, position = await keyset_page(db, _SELECT, where, after, limit, sort="last_message_at")
    return [_conversation(row) for row in rows], position


async def messages_page(
    db: Executor, conversation_id: UUID, *, before: Position | None, limit: int
) -> tuple[list[Message], Position | None]:
    """The newest `limit` messages before `before` (newest first), and the position to read
    earlier ones from when there are any."""
    where = Where()
    where.add("conversation_id = {}", conversation_id)
    rows, position = await keyset_page(db, _SELECT_MESSAGE, where, before, limit)
    return [_message(row) for row in rows], position


async def maker_names(db: Executor, maker_ids: list[UUID]) -> dict[UUID, str]:
    """The makers' display names, by id, as the makers read model knows them."""
    rows = await db.fetch(
        "SELECT maker_id, display_name FROM makers WHERE maker_id = ANY($1::uuid[])", maker_ids
    )
    return {row["maker_id"]: row["display_name"] for row in rows}
