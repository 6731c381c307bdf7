-- Conversations between a customer and a maker about one order, commission or listing
-- (services/orders/domain/conversation.py). One per (customer, maker, subject): asking again
-- about the same thing continues it. Messages are rows of their own, newest read first.
CREATE TABLE conversations (
    id               uuid PRIMARY KEY,
    customer_id      uuid NOT NULL,
    maker_id         uuid NOT NULL,
    subject_kind     text NOT NULL CHECK (subject_kind IN ('order', 'commission', 'listing')),
    subject_id       uuid NOT NULL,
    subject_title    text NOT NULL,
    version          integer NOT NULL CHECK (version >= 0),
    created_at       timestamptz NOT NULL,
    last_message_at  timestamptz NOT NULL,
    last_sender_role text CHECK (last_sender_role IN ('customer', 'maker')),
    customer_read_at timestamptz,
    maker_read_at    timestamptz,
    CONSTRAINT conversations_once UNIQUE (customer_id, maker_id, subject_kind, subject_id)
);
-- Each party's conversations (and operators' all), newest activity first.
CREATE INDEX conversations_by_customer ON conversations (customer_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_maker ON conversations (maker_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_by_activity ON conversations (last_message_at DESC, id DESC);

CREATE TABLE conversation_messages (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id),
    sender_role     text NOT NULL CHECK (sender_role IN ('customer', 'maker')),
    sender_id       uuid NOT NULL,
    body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    created_at      timestamptz NOT NULL
);
CREATE INDEX conversation_messages_in_order ON conversation_messages (conversation_id, created_at DESC, id DESC);
