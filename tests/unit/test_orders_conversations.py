"""The rules of a conversation, without I/O: what it may be about, a message's length at its
boundaries (trimmed first), markup kept as written, the event each message records, and who has
something unread."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain.conversation import (
    EXCERPT_CHARS,
    MAX_MESSAGE_CHARS,
    Conversation,
    Party,
    Subject,
    SubjectKind,
    checked_body,
    one_subject,
)
from shared.errors import RulesViolated

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
CUSTOMER, MAKER = uuid.uuid4(), uuid.uuid4()


def conversation() -> Conversation:
    subject = Subject(SubjectKind.LISTING, uuid.uuid4(), "Moonstone drop earrings")
    return Conversation.start(customer_id=CUSTOMER, maker_id=MAKER, subject=subject, now=NOW)


def code_of(error: pytest.ExceptionInfo[RulesViolated]) -> str:
    return error.value.errors[0].code


def test_exactly_one_subject() -> None:
    some = uuid.uuid4()
    assert one_subject(some, None, None) == (SubjectKind.ORDER, some)
    assert one_subject(None, some, None) == (SubjectKind.COMMISSION, some)
    assert one_subject(None, None, some) == (SubjectKind.LISTING, some)
    for ids in ((None, None, None), (some, some, None), (some, None, some), (some, some, some)):
        with pytest.raises(RulesViolated) as refused:
            one_subject(*ids)
        assert code_of(refused) == "subject_required"


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ("x", "x"),
        ("  x \n", "x"),
        ("é" * MAX_MESSAGE_CHARS, "é" * MAX_MESSAGE_CHARS),
        (" " + "y" * MAX_MESSAGE_CHARS + "\n", "y" * MAX_MESSAGE_CHARS),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("Line one\n\nLine two", "Line one\n\nLine two"),
    ],
)
def test_a_message_is_1_to_2000_characters_once_trimmed(body: str, kept: str) -> None:
    assert checked_body(body) == kept


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "message_required"),
        (" \n\t", "message_required"),
        ("z" * (MAX_MESSAGE_CHARS + 1), "message_too_long"),
    ],
)
def test_an_empty_or_overlong_message_is_refused(body: str, code: str) -> None:
    with pytest.raises(RulesViolated) as refused:
        checked_body(body)
    assert code_of(refused) == code
    talk = conversation()
    with pytest.raises(RulesViolated):
        talk.post(by=Party.CUSTOMER, sender_id=CUSTOMER, body=body, now=NOW)
    assert (talk.version, talk.new_messages, talk.pending_events) == (0, [], [])


def test_each_message_records_its_event_and_who_has_something_unread() -> None:
    talk = conversation()
    assert talk.party_of(user_id=CUSTOMER, maker_id=None) is Party.CUSTOMER
    assert talk.party_of(user_id=uuid.uuid4(), maker_id=MAKER) is Party.MAKER
    assert talk.party_of(user_id=uuid.uuid4(), maker_id=uuid.uuid4()) is None
    assert not talk.unread_for(Party.CUSTOMER) and not talk.unread_for(Party.MAKER)

    asked = talk.post(by=Party.CUSTOMER, sender_id=CUSTOMER, body="A" * 300, now=NOW)
    assert talk.unread_for(Party.MAKER) and not talk.unread_for(Party.CUSTOMER)
    assert not talk.unread_for(None)  # operators never have anything unread
    [event] = talk.pull_events()
    assert (event.type, event.aggregate_version) == ("orders.conversation.message_posted", 1)
    assert event.data["excerpt"] == "A" * EXCERPT_CHARS
    assert event.data["listing_id"] == str(talk.subject.id)
    assert event.data["order_id"] is None and event.data["commission_id"] is None
    assert event.data["message_id"] == str(asked.id) and event.data["sender_role"] == "customer"

    talk.maker_read_at = NOW + timedelta(seconds=1)
    assert not talk.unread_for(Party.MAKER)
    talk.post(by=Party.MAKER, sender_id=uuid.uuid4(), body="Yes", now=NOW + timedelta(seconds=2))
    assert talk.unread_for(Party.CUSTOMER) and not talk.unread_for(Party.MAKER)
    assert talk.version == 2 and talk.last_sender_role is Party.MAKER
    assert [m.sender_role for m in talk.new_messages] == [Party.CUSTOMER, Party.MAKER]
