"""The reliability oracle: waiting until the marketplace has settled, then reading the truth from
every schema (superuser) and checking the invariants. Each invariant is counted from records
that can hold the fault it looks for (the payment provider's call log, the SMTP server's log,
each consumer's own effects), never from a table whose keys make the fault impossible; and
each is broken on purpose in tests/reliability/test_oracle_mutations.py to show it can fail.

    orders      every order the client was told about exists (none lost); no customer has more
                orders than checkouts they attempted that were not refused, and no order lacks
                or shares its Idempotency-Key (none duplicated); every order exists because a
                client was told so (none created but unacknowledged); none still pending;
                every state a legal one; one maker order per (order, maker), whose lines are
                exactly the order's lines of that maker
    stock       per listing: available + reserved + sold == stocked (none lost or created),
                nothing left reserved, sold == the units of the confirmed orders' lines that
                were not declined (none oversold), and the inventory ledger's deltas add up
                to the counters; no order moved a listing's stock twice for one reason
    payments    counted from the sandbox provider's call log (`orders.sandbox_calls`), the calls
                that took effect: per order at most one authorisation (whatever its key), at
                most one capture and never more than authorised; refunds never beyond the
                capture, none twice for one key, no more than the order's own refunds;
                captured − refunded equals what the customer paid for what they kept (lines
                not cancelled, declined, refunded or returned; nothing for a cancelled order);
                an authorisation never captured is voided; the order's payment says the same
                as the provider; and every record the provider holds has its call in the log
    payouts     one earning per delivered maker order, equal to its gross, commission and net;
                none for any other; per maker, Σ paid payouts + available + pending = Σ ledger,
                every payout the sum of the entries it carried; each ledger entry in at most
                one paid payout, each paid payout exactly one transfer by the payout provider
                (for its amount), and no transfer that no paid payout accounts for
    events      every event a service published (about these orders, makers, listings and
                images) that another consumes is in that consumer's inbox (makers, catalogue,
                orders, media and notifications); every outbox row is sent, none is parked;
                what a consumer did it did once: no two stock moves for one reason, no two
                maker orders per (order, maker), no two emails owed per (event, recipient), no
                effect without its event in the inbox
    emails      with the SMTP server's log: each sent email received once, none twice per
                (event, recipient), none marked sent that the server never received
    images      every image of these makers processed exactly once (one processed or failed
                event per image, as its status says), none left processing
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from ops.services import definition
from shared.db import Executor
from shared.dlq import parked_messages
from tests.support.harness import eventually
from tests.support.payouts import makers_not_adding_up

if TYPE_CHECKING:
    from ops.mailbox import Mail
    from tests.reliability.marketplace import Load, Maker

# Services whose outbox the oracle reads (the gateway's account events are about no order),
# and those whose inbox it checks: every service the reliability Stack runs that consumes events.
PRODUCERS = ("makers", "catalogue", "orders", "media")
CONSUMERS = ("makers", "catalogue", "orders", "media", "notifications", "reviews")
# How often `settled` asks: a settlement is seen at most this much (and one query) after it happened.
SETTLE_POLL_S = 0.25


# --- settling --------------------------------------------------------------------------------------


async def settled(
    db: Executor,
    order_ids: list[uuid.UUID],
    timeout_s: float,
    since: float | None = None,
) -> float:
    """Wait until the marketplace has settled for these orders; the seconds it took, from
    `since` (a `time.monotonic()` reading, such as the end of the load) or else from the call
    (AssertionError past the bound, naming what was still in flight). The figure is as fine as
    the polling: `SETTLE_POLL_S` plus one query.

    Settled: no order pending or owing compensation, no reservation of theirs held, every outbox
    drained, and every event about the orders, their makers, those makers' listings and images
    taken in by each service that consumes it (its inbox row commits with the handler's effects,
    and the outbox rows those effects wrote). One statement reads all of it from one snapshot,
    so nothing a consumer commits can fall between two reads: once it holds, no event is still
    on its way or waiting in a retry queue, and no handler has work left to do. An event parked
    for good is never taken in: the marketplace then does not settle, and the oracle names it."""
    started = time.monotonic() if since is None else since
    query, bindings = _settled_query(_consumed_keys())
    left: dict[str, int] = {}

    async def quiet() -> bool:
        row = await db.fetchrow(query, order_ids, *bindings)
        assert row is not None, "one row of counts"
        left.update(dict(row))
        return not any(left.values())

    try:
        await eventually(
            quiet, timeout_s=timeout_s, interval_s=SETTLE_POLL_S, message="the marketplace settles"
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still in flight: {left}") from None
    return time.monotonic() - started


def _settled_query(consumed: dict[str, set[str]]) -> tuple[str, list[list[str]]]:
    """The statement `settled` polls ($1: the order ids; then each consumer's routing keys) and
    its routing-key arguments: every count it answers is 0 once the marketplace has settled."""
    consumers = [name for name, keys in consumed.items() if keys]
    untaken = [
        f"(SELECT count(*) FROM {producer}.outbox o WHERE o.routing_key = ANY(${n}::text[]) "
        "AND (o.aggregate_id IN (SELECT id FROM scope) "
        "OR o.envelope->'data'->>'order_id' IN (SELECT id FROM scope)) "
        f"AND NOT EXISTS (SELECT 1 FROM {consumer}.inbox i WHERE i.event_id = o.event_id))"
        for n, consumer in enumerate(consumers, start=2)
        for producer in PRODUCERS
    ]
    unsent = [f"(SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL)" for schema in PRODUCERS]
    query = f"""
        WITH order_makers AS (SELECT maker_id FROM orders.maker_orders WHERE order_id = ANY($1::uuid[])),
        scope AS (
            SELECT unnest($1::uuid[])::text AS id
            UNION SELECT maker_id::text FROM order_makers
            UNION SELECT id::text FROM catalogue.listings
                WHERE maker_id IN (SELECT maker_id FROM order_makers)
            UNION SELECT id::text FROM media.images
                WHERE maker_id IN (SELECT maker_id FROM order_makers)
        )
        SELECT
            (SELECT count(*) FROM orders.orders
             WHERE id = ANY($1::uuid[]) AND (status = 'pending' OR compensation_due)) AS orders_unsettled,
            (SELECT count(*) FROM catalogue.reservations
             WHERE order_id = ANY($1::uuid[]) AND status = 'held') AS reservations_held,
            {" + ".join(unsent)} AS events_unsent,
            {" + ".join(untaken)} AS events_not_taken_in
    """
    return query, [sorted(consumed[consumer]) for consumer in consumers]


# --- the verdict -----------------------------------------------------------------------------------


@dataclass
class Verdict:
    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.violations.append(what)

    def none_allowed(self, figure: str, count: int, what: str) -> None:
        """Record `count` as a figure; any at all is a violation, described by `what`."""
        self.figures[figure] = count
        if count:
            self.fail(what)


def _consumed_keys() -> dict[str, set[str]]:
    """Per service, the routing keys its handlers consume (empty for one that consumes none)."""
    from aiohttp import web

    keys = {}
    for name in CONSUMERS:
        service = definition(name)
        keys[name] = {cls.routing_key() for cls in service.handlers(web.Application())}
    return keys


def _kept(order: asyncpg.Record, parts: list[dict[str, Any]], returned: Counter) -> int:
    """What the customer paid for what they kept: every line of a maker order neither
    cancelled, declined nor refunded whole after delivery, less the units returned (and
    refunded); nothing of a cancelled order."""
    if order["status"] == "cancelled":
        return 0
    paid = 0
    for mo in parts:
        if mo["status"] in ("cancelled", "declined") or mo.get("refunded_at"):
            continue
        for line in mo["lines"]:
            unit = line["line_total"]["amount"] // line["quantity"]
            paid += unit * (line["quantity"] - returned[line["id"]])
    return paid


def _messages(mailbox: Any) -> list[Mail]:
    """The SMTP server's log: an SmtpCatcher (its `messages`) or a list of `Mail`."""
    if mailbox is None:
        return []
    return list(mailbox.messages if hasattr(mailbox, "messages") else mailbox)


def _delivery_of(mail: Mail) -> uuid.UUID | None:
    """The delivery a message was sent for: notifications makes its Message-ID from the id."""
    message_id = str(mail.message.get("Message-ID") or "").strip("<> ")
    try:
        return uuid.UUID(message_id.partition("@")[0])
    except ValueError:
        return None


# --- the oracle ------------------------------------------------------------------------------------


async def oracle(
    db: Executor,
    load: Load,
    makers: list[Maker],
    service_settings: dict[str, Any] | None = None,
    *,
    mailbox: Any = None,
) -> Verdict:
    """Check every invariant (module docstring) over what `load` did to `makers`' shop, once the
    marketplace has settled. `mailbox`: the SMTP server's log (an SmtpCatcher or a list of
    `ops.mailbox.Mail`) when the run had one; emails are then checked against it too."""
    verdict = Verdict()
    orders, parts, maker_orders = await _check_orders(db, load, verdict)
    listing_ids = [uuid.UUID(listing["id"]) for maker in makers for listing in maker.listings]
    await _check_stock(db, orders, parts, listing_ids, verdict)
    await _check_payments(db, orders, parts, verdict)
    await _check_payouts(db, maker_orders, service_settings, verdict)
    maker_ids = sorted({uuid.UUID(m.id) for m in makers} | {mo["maker_id"] for mo in maker_orders})
    image_ids = [
        r["id"] for r in await db.fetch("SELECT id FROM media.images WHERE maker_id = ANY($1)", maker_ids)
    ]
    events = await _check_events(db, orders, listing_ids, maker_ids, image_ids, service_settings, verdict)
    await _check_emails(db, events, _messages(mailbox), mailbox is not None, verdict)
    await _check_images(db, image_ids, verdict)
    return verdict


async def _check_orders(
    db: Executor, load: Load, verdict: Verdict
) -> tuple[dict[uuid.UUID, asyncpg.Record], dict[uuid.UUID, list[dict[str, Any]]], list[asyncpg.Record]]:
    """None lost, duplicated, unacknowledged or pending; legal states; one maker order per
    (order, maker), splitting the order's lines exactly."""
    f = verdict.figures
    order_ids = load.order_ids()
    customers = list(load.customers)
    rows = await db.fetch(
        "SELECT id, customer_id, status, cancellation_reason, data "
        "FROM orders.orders WHERE customer_id = ANY($1)",
        customers,
    )
    orders = {row["id"]: row for row in rows}
    maker_orders = await db.fetch(
        "SELECT id, order_id, maker_id, status, data FROM orders.maker_orders WHERE order_id = ANY($1)",
        list(orders),
    )
    parts: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for mo in maker_orders:
        parts[mo["order_id"]].append(
            {**mo["data"], "id": mo["id"], "status": mo["status"], "maker_id": mo["maker_id"]}
        )
    keys = await db.fetch(
        "SELECT user_id, key, body FROM orders.idempotency_keys WHERE user_id = ANY($1)", customers
    )
    key_orders = Counter(uuid.UUID(json.loads(bytes(k["body"]))["id"]) for k in keys)
    lost = [oid for oid in order_ids if oid not in orders]
    told = set(order_ids)
    # Each checkout the API did not refuse (422) made at most one order, whatever its retries:
    # a customer with more orders than that has one made twice.
    could_make = Counter(a.customer_id for a in load.attempts if a.status != 422)
    have = Counter(r["customer_id"] for r in orders.values())
    over = {c: max(0, n - could_make[c]) for c, n in have.items()}
    duplicated = (
        sum(over.values())
        + sum(n - 1 for n in key_orders.values() if n > 1)
        + sum(1 for oid in orders if oid not in key_orders)
    )
    # An order no client was told of (its checkout never answered 201): the customer thinks it
    # failed, the shop will take the money. One made twice is counted as duplicated, not here.
    untold = Counter(r["customer_id"] for oid, r in orders.items() if oid not in told)
    unacknowledged = sum(max(0, n - over[c]) for c, n in untold.items())
    f["orders_attempted"] = len(load.attempts)
    f["orders_placed"] = len(load.placed)
    f["refused_at_checkout"] = dict(Counter(a.code for a in load.attempts if a.status == 422))
    f["unanswered"] = sum(1 for a in load.attempts if a.status not in (201, 422))
    f["orders_lost"] = len(lost)
    f["order_states"] = dict(
        Counter(
            f"{r['status']}" + (f":{r['cancellation_reason']}" if r["cancellation_reason"] else "")
            for r in orders.values()
        )
    )
    if lost:
        verdict.fail(f"{len(lost)} orders lost: {lost[:3]}")
    verdict.none_allowed("orders_duplicated", duplicated, f"{duplicated} orders duplicated")
    verdict.none_allowed(
        "orders_created_but_unacknowledged",
        unacknowledged,
        f"{unacknowledged} orders created that no client was told of",
    )
    if f["unanswered"]:
        verdict.fail(f"{f['unanswered']} checkouts never answered (201 or 422) within the client's deadline")
    pending = [oid for oid, r in orders.items() if r["status"] == "pending"]
    if pending:
        verdict.fail(f"{len(pending)} orders still pending after the bound")
    split_wrong = 0
    for oid, r in orders.items():
        statuses = {mo["status"] for mo in parts[oid]}
        legal = {
            "confirmed": bool(statuses) and "cancelled" not in statuses,
            "completed": bool(statuses) and statuses <= {"delivered", "declined"},
            "cancelled": statuses <= {"cancelled", "declined"},
            "pending": not statuses,
        }[r["status"]]
        if not legal:
            verdict.fail(f"order {oid} is {r['status']} with maker orders {sorted(statuses)}")
        if parts[oid]:
            # Every line in exactly one maker order, and that one its maker's.
            split = Counter((line["id"], str(mo["maker_id"])) for mo in parts[oid] for line in mo["lines"])
            wanted = Counter((line["id"], line["maker_id"]) for line in r["data"]["lines"])
            split_wrong += split != wanted
    per_maker = Counter((mo["order_id"], mo["maker_id"]) for mo in maker_orders)
    twice = sum(n - 1 for n in per_maker.values() if n > 1)
    verdict.none_allowed(
        "maker_orders_duplicated", twice, f"{twice} maker orders more than one per (order, maker)"
    )
    verdict.none_allowed(
        "orders_split_wrong", split_wrong, f"{split_wrong} orders whose maker orders do not split their lines"
    )
    return orders, parts, maker_orders


async def _check_stock(
    db: Executor,
    orders: dict[uuid.UUID, asyncpg.Record],
    parts: dict[uuid.UUID, list[dict[str, Any]]],
    listing_ids: list[uuid.UUID],
    verdict: Verdict,
) -> None:
    """None oversold, none lost, the ledger adds up, each stock move applied once."""
    f = verdict.figures
    listings = await db.fetch(
        "SELECT id, stock_available AS a, stock_reserved AS r, stock_sold AS s, status "
        "FROM catalogue.listings WHERE id = ANY($1)",
        listing_ids,
    )
    ledger = await db.fetch(
        "SELECT listing_id, order_id, reason, available_delta AS da, reserved_delta AS dr, "
        "sold_delta AS ds, available, reserved, sold FROM catalogue.inventory_ledger "
        "WHERE listing_id = ANY($1) ORDER BY id",
        listing_ids,
    )
    by_listing: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
    for entry in ledger:
        by_listing[entry["listing_id"]].append(entry)
    expected_sold: Counter = Counter()
    for r in orders.values():
        if r["status"] not in ("confirmed", "completed"):
            continue
        declined_lines = {
            line["id"] for mo in parts[r["id"]] if mo["status"] == "declined" for line in mo["lines"]
        }
        for line in r["data"]["lines"]:
            if line["listing_id"] and line["id"] not in declined_lines:
                expected_sold[uuid.UUID(line["listing_id"])] += line["quantity"]
    oversold = lost_units = sold_units = stocked_units = 0
    for listing in listings:
        if listing["a"] is None:
            continue  # made to order: no stock to count
        entries = by_listing[listing["id"]]
        stocked = sum(e["da"] + e["dr"] + e["ds"] for e in entries if e["reason"] in ("stocked", "adjusted"))
        total = listing["a"] + listing["r"] + listing["s"]
        stocked_units += stocked
        sold_units += listing["s"]
        oversold += max(0, listing["s"] - stocked) + max(0, listing["s"] - expected_sold[listing["id"]])
        lost_units += abs(stocked - total) + max(0, expected_sold[listing["id"]] - listing["s"])
        if listing["r"]:
            verdict.fail(f"listing {listing['id']} still has {listing['r']} reserved")
        sums = [sum(e[k] for e in entries) for k in ("da", "dr", "ds")]
        if sums != [listing["a"], listing["r"], listing["s"]] or (
            entries
            and [entries[-1]["available"], entries[-1]["reserved"], entries[-1]["sold"]]
            != [listing["a"], listing["r"], listing["s"]]
        ):
            verdict.fail(
                f"listing {listing['id']}: ledger {sums} != counters "
                f"{[listing['a'], listing['r'], listing['s']]}"
            )
        if any(min(e["available"], e["reserved"], e["sold"]) < 0 for e in entries):
            verdict.fail(f"listing {listing['id']}: a counter went negative")
    twice = await db.fetch(
        "SELECT order_id, listing_id, reason, count(*) AS n FROM catalogue.inventory_ledger "
        "WHERE order_id = ANY($1) GROUP BY 1, 2, 3 HAVING count(*) > 1",
        list(orders),
    )
    f["units_stocked"] = stocked_units
    f["units_sold"] = sold_units
    verdict.none_allowed("units_oversold", oversold, f"{oversold} units oversold")
    verdict.none_allowed("units_lost", lost_units, f"{lost_units} units lost or created")
    verdict.none_allowed(
        "stock_moves_applied_twice", len(twice), f"stock moved twice: {[dict(t) for t in twice[:3]]}"
    )
    # Per order: catalogue's reservation agrees with the order's outcome, unit for unit.
    units = {
        r["order_id"]: r
        for r in await db.fetch(
            "SELECT r.order_id, r.status, coalesce(sum(l.held), 0) AS held, "
            "coalesce(sum(l.sold), 0) AS sold FROM catalogue.reservations r "
            "LEFT JOIN catalogue.reservation_lines l USING (order_id) "
            "WHERE r.order_id = ANY($1) GROUP BY 1, 2",
            list(orders),
        )
    }
    for oid, r in orders.items():
        declined_lines = {
            line["id"] for mo in parts[oid] if mo["status"] == "declined" for line in mo["lines"]
        }
        # Made-to-order lines are reserved too (without counters): every stock line counts.
        owed = sum(
            line["quantity"]
            for line in r["data"]["lines"]
            if line["listing_id"] and line["id"] not in declined_lines
        )
        reservation = units.get(oid)
        held, sold = (reservation["held"], reservation["sold"]) if reservation else (0, 0)
        if held:
            verdict.fail(f"order {oid} ({r['status']}) still holds {held} units")
        if r["status"] in ("confirmed", "completed") and sold != owed:
            verdict.fail(f"order {oid} is {r['status']} with {sold} of {owed} units sold")
        if r["status"] == "cancelled" and sold:
            verdict.fail(f"order {oid} is cancelled but {sold} units stay sold")


async def _check_payments(
    db: Executor,
    orders: dict[uuid.UUID, asyncpg.Record],
    parts: dict[uuid.UUID, list[dict[str, Any]]],
    verdict: Verdict,
) -> None:
    """From the provider's call log: charged once, captured once, refunded as owed, and
    captured − refunded = what the customer kept."""
    f = verdict.figures
    calls = await db.fetch(
        "SELECT * FROM orders.sandbox_calls WHERE order_id = ANY($1) ORDER BY id", list(orders)
    )
    by_order: dict[uuid.UUID, list[asyncpg.Record]] = defaultdict(list)
    for call in calls:
        by_order[call["order_id"]].append(call)
    returned: Counter = Counter()  # units of each line that came back and were refunded
    for row in await db.fetch(
        "SELECT data FROM orders.returns WHERE order_id = ANY($1) AND status = 'refunded'", list(orders)
    ):
        for line in row["data"]["lines"]:
            returned[line["line_id"]] += line["quantity"]
    double_authorised = double_charged = double_captured = double_refunded = kept = 0
    authorised = charged_total = 0
    for oid, r in orders.items():
        data, payment = r["data"], r["data"]["payment"]
        took = [c for c in by_order[oid] if c["effective"]]
        auths = [c for c in took if c["operation"] == "authorise"]
        captures = [c for c in took if c["operation"] == "capture"]
        refunds = [c for c in took if c["operation"] == "refund"]
        voids = [c for c in took if c["operation"] == "void"]
        if not auths:
            if payment["status"] != "none" or captures:
                verdict.fail(f"order {oid} payment {payment['status']} without an authorisation")
            continue
        authorised += 1
        if len(auths) > 1:
            double_authorised += 1  # charged twice: two holds on the card, under two keys
        auth = auths[0]
        if auth["amount"] != data["total"]["amount"]:
            verdict.fail(f"order {oid} authorised {auth['amount']} for a total of {data['total']['amount']}")
        if payment["reference"] not in (None, *(a["answered_reference"] for a in auths)):
            verdict.fail(f"order {oid} records {payment['reference']}, not {auth['answered_reference']}")
        if len(captures) > 1:
            double_captured += 1
        captured = sum(c["amount"] for c in captures)
        refunded = sum(c["amount"] for c in refunds)
        if captured > sum(a["amount"] for a in auths):
            verdict.fail(f"order {oid} captured {captured}, more than was authorised")
        if not captures and not voids:
            # Authorised and never captured (cancelled before capture, or a crash before the
            # order recorded it): the authorisation must have been released.
            verdict.fail(f"order {oid} left authorisation {auth['answered_reference']} held, never captured")
        if captures and voids:
            verdict.fail(f"order {oid} voided authorisation {auth['answered_reference']} after capturing it")
        # The order's own refunds, or a release of a capture the order never recorded.
        refunds_expected = len(data["refunds"]) if payment.get("capture_reference") else len(captures)
        refund_keys = Counter(c["idempotency_key"] for c in refunds)
        if refunded > captured or len(refunds) > refunds_expected or any(n > 1 for n in refund_keys.values()):
            double_refunded += 1
        held = captured - refunded
        charged_total += held
        owed = _kept(r, parts[oid], returned)
        if held > owed:
            if r["status"] == "cancelled":
                kept += 1
            else:
                double_charged += 1
        elif held < owed:
            verdict.fail(f"order {oid} holds {held} of the {owed} the customer kept")
        issued = sum(x["amount"]["amount"] for x in data["refunds"] if x["status"] == "issued")
        recorded = (payment.get("captured_amount") or {"amount": 0})["amount"]
        if (recorded, issued) != (captured, refunded) and payment.get("capture_reference"):
            verdict.fail(
                f"order {oid} says {recorded} captured and {issued} refunded; "
                f"the provider {captured} and {refunded}"
            )
    # Whatever the provider holds on its side was done by a call in its log.
    unlogged = await db.fetchval(
        """
        SELECT (SELECT count(*) FROM orders.sandbox_authorisations a
                WHERE a.outcome = 'authorised' AND a.idempotency_key = ANY($1) AND NOT EXISTS (
                    SELECT 1 FROM orders.sandbox_calls c WHERE c.operation = 'authorise'
                    AND c.effective AND c.answered_reference = a.reference))
             + (SELECT count(*) FROM orders.sandbox_captures k
                JOIN orders.sandbox_authorisations a ON a.reference = k.authorisation_reference
                WHERE k.outcome = 'captured' AND a.idempotency_key = ANY($1) AND NOT EXISTS (
                    SELECT 1 FROM orders.sandbox_calls c WHERE c.operation = 'capture'
                    AND c.effective AND c.answered_reference = k.reference))
             + (SELECT count(*) FROM orders.sandbox_refunds x
                JOIN orders.sandbox_captures k ON k.reference = x.capture_reference
                JOIN orders.sandbox_authorisations a ON a.reference = k.authorisation_reference
                WHERE a.idempotency_key = ANY($1) AND NOT EXISTS (
                    SELECT 1 FROM orders.sandbox_calls c WHERE c.operation = 'refund'
                    AND c.effective AND c.idempotency_key = x.idempotency_key))
        """,
        [f"order-{oid}-authorise" for oid in orders],
    )
    f["payment_calls"] = dict(Counter(f"{c['operation']}:{c['outcome']}" for c in calls))
    f["payments_authorised"] = authorised
    f["net_charged_minor_units"] = charged_total
    verdict.none_allowed(
        "double_authorisations", double_authorised, f"{double_authorised} orders authorised more than once"
    )
    verdict.none_allowed(
        "double_charges", double_charged, f"{double_charged} orders charged more than they owe"
    )
    verdict.none_allowed("double_captures", double_captured, f"{double_captured} orders captured twice")
    verdict.none_allowed("double_refunds", double_refunded, f"{double_refunded} orders refunded twice")
    verdict.none_allowed(
        "cancelled_but_still_charged", kept, f"{kept} cancelled orders still hold the customer's money"
    )
    verdict.none_allowed(
        "provider_records_without_a_call",
        unlogged,
        f"{unlogged} payment provider records with no call in its log",
    )


async def _check_payouts(
    db: Executor,
    maker_orders: list[asyncpg.Record],
    service_settings: dict[str, Any] | None,
    verdict: Verdict,
) -> None:
    """One earning per delivered maker order; makers' balances add up; each payout paid once."""
    f = verdict.figures
    entries = await db.fetch(
        "SELECT maker_order_id, kind, gross_amount AS g, commission_amount AS c, net_amount AS n "
        "FROM orders.payout_ledger WHERE maker_order_id = ANY($1)",
        [mo["id"] for mo in maker_orders],
    )
    by_mo = defaultdict(list)
    for entry in entries:
        by_mo[entry["maker_order_id"]].append(entry)
    payout_errors = 0
    for mo in maker_orders:
        earnings = [e for e in by_mo[mo["id"]] if e["kind"] == "earning"]
        if mo["status"] == "delivered":
            d = mo["data"]
            if len(earnings) != 1 or (earnings[0]["g"], earnings[0]["c"], earnings[0]["n"]) != (
                d["gross"]["amount"],
                d["commission"]["amount"],
                d["net"]["amount"],
            ):
                payout_errors += 1
        elif earnings:
            payout_errors += 1
    payout_errors += sum(1 for e in entries if e["n"] != e["g"] - e["c"])
    f["maker_orders"] = dict(Counter(mo["status"] for mo in maker_orders))
    f["payout_entries"] = len(entries)
    verdict.none_allowed("payout_errors", payout_errors, f"{payout_errors} payout ledger errors")
    maker_ids = sorted({mo["maker_id"] for mo in maker_orders})
    hold_days = service_settings["orders"].payout_hold_days if service_settings else 14
    unbalanced = await makers_not_adding_up(db, maker_ids, timedelta(days=hold_days))
    for sentence in unbalanced:
        verdict.fail(sentence)
    f["makers_not_adding_up"] = len(unbalanced)
    # Exactly once, from the payout provider's side: each paid payout one transfer of its
    # amount, each transfer a paid payout's, each ledger entry in at most one paid payout.
    payouts = {
        str(p["id"]): p
        for p in await db.fetch(
            "SELECT id, maker_id, amount, status FROM orders.payouts WHERE maker_id = ANY($1)", maker_ids
        )
    }
    transfers: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for t in await db.fetch(
        "SELECT idempotency_key, maker_id, amount FROM orders.sandbox_payouts "
        "WHERE maker_id = ANY($1) AND outcome = 'paid'",
        maker_ids,
    ):
        transfers[t["idempotency_key"]].append(t)
    wrong = sum(
        1
        for key, p in payouts.items()
        if p["status"] == "paid" and [t["amount"] for t in transfers.get(key, [])] != [p["amount"]]
    )
    wrong += sum(
        len(ts) for key, ts in transfers.items() if key not in payouts or payouts[key]["status"] != "paid"
    )
    wrong += await db.fetchval(
        "SELECT count(*) FROM (SELECT pe.ledger_entry_id FROM orders.payout_entries pe "
        "JOIN orders.payouts p ON p.id = pe.payout_id WHERE p.status = 'paid' AND p.maker_id = ANY($1) "
        "GROUP BY pe.ledger_entry_id HAVING count(*) > 1) AS twice",
        maker_ids,
    )
    f["payouts_paid"] = sum(1 for p in payouts.values() if p["status"] == "paid")
    verdict.none_allowed(
        "payouts_not_exactly_once", wrong, f"{wrong} payouts or transfers not paid exactly once"
    )


async def _check_events(
    db: Executor,
    orders: dict[uuid.UUID, asyncpg.Record],
    listing_ids: list[uuid.UUID],
    maker_ids: list[uuid.UUID],
    image_ids: list[uuid.UUID],
    service_settings: dict[str, Any] | None,
    verdict: Verdict,
) -> dict[str, list[uuid.UUID]]:
    """None lost, none parked, every outbox drained, every consumer's effects applied once and
    only with their event in its inbox. Per consumer, the ids of the events in scope it owes."""
    f = verdict.figures
    consumed = _consumed_keys()
    scope = [str(x) for x in (*orders, *listing_ids, *maker_ids, *image_ids)]
    lost_events = published = 0
    owed: dict[str, list[uuid.UUID]] = defaultdict(list)
    for producer in PRODUCERS:
        events = await db.fetch(
            f"SELECT event_id, routing_key, sent_at FROM {producer}.outbox "
            "WHERE aggregate_id = ANY($1) OR envelope->'data'->>'order_id' = ANY($1)",
            scope,
        )
        published += len(events)
        unsent = [e for e in events if e["sent_at"] is None]
        if unsent:
            verdict.fail(f"{len(unsent)} {producer} events never sent")
        for consumer, bindings in consumed.items():
            wanted = [e["event_id"] for e in events if e["routing_key"] in bindings]
            if not wanted:
                continue
            owed[consumer].extend(wanted)
            have = await db.fetchval(
                f"SELECT count(*) FROM {consumer}.inbox WHERE event_id = ANY($1)", wanted
            )
            if have != len(wanted):
                lost_events += len(wanted) - have
                verdict.fail(f"{len(wanted) - have} {producer} events never reached {consumer}")
    # Effects keyed by the event that caused them: once per (event, recipient), never without
    # the event in the consumer's inbox (applied outside the exactly-once machinery).
    effects_twice = await db.fetchval(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM notifications.deliveries WHERE event_id = ANY($1) "
        "  GROUP BY event_id, recipient HAVING count(*) > 1) AS d) "
        "+ (SELECT count(*) FROM (SELECT 1 FROM notifications.notifications WHERE event_id = ANY($1) "
        "  GROUP BY event_id, user_id HAVING count(*) > 1) AS n)",
        owed["notifications"],
    )
    outside_inbox = await db.fetchval(
        "SELECT count(*) FROM (SELECT event_id FROM notifications.deliveries WHERE event_id = ANY($1) "
        "UNION ALL SELECT event_id FROM notifications.notifications WHERE event_id = ANY($1)) AS e "
        "WHERE NOT EXISTS (SELECT 1 FROM notifications.inbox i WHERE i.event_id = e.event_id)",
        owed["notifications"],
    )
    parked = 0
    if service_settings:
        scoped = set(scope)
        for name in CONSUMERS:
            if name not in service_settings:
                continue
            for message in await parked_messages(service_settings[name]):
                body = message["body"] if isinstance(message["body"], dict) else {}
                if body.get("aggregate_id") in scoped or (body.get("data") or {}).get("order_id") in scoped:
                    parked += 1
        if parked:
            verdict.fail(f"{parked} events parked")
    f["events_published"] = published
    f["events_lost"] = lost_events
    f["events_parked"] = parked
    verdict.none_allowed(
        "notifications_applied_twice",
        effects_twice,
        f"{effects_twice} (event, recipient) pairs given two emails or notifications",
    )
    verdict.none_allowed(
        "effects_without_inbox",
        outside_inbox,
        f"{outside_inbox} notifications effects whose event is not in notifications' inbox",
    )
    return owed


async def _check_emails(
    db: Executor, owed: dict[str, list[uuid.UUID]], mail: Iterable[Mail], have_log: bool, verdict: Verdict
) -> None:
    """Against the SMTP server's log (when the run kept one): each email sent was received once."""
    f = verdict.figures
    deliveries = {
        d["id"]: d
        for d in await db.fetch(
            "SELECT id, event_id, recipient, status FROM notifications.deliveries WHERE event_id = ANY($1)",
            owed["notifications"],
        )
    }
    f["emails_owed"] = len(deliveries)
    f["emails_by_status"] = dict(Counter(d["status"] for d in deliveries.values()))
    if not have_log:
        return
    received = Counter(d for d in map(_delivery_of, mail) if d in deliveries)
    per_pair = Counter(
        (deliveries[d]["event_id"], deliveries[d]["recipient"]) for d, n in received.items() for _ in range(n)
    )
    twice = sum(n - 1 for n in per_pair.values() if n > 1)
    missing = sum(1 for d in deliveries.values() if d["status"] == "sent" and not received[d["id"]])
    f["emails_received"] = sum(received.values())
    verdict.none_allowed(
        "emails_sent_twice", twice, f"{twice} emails received twice for one (event, recipient)"
    )
    verdict.none_allowed(
        "emails_marked_sent_not_received",
        missing,
        f"{missing} emails marked sent that the SMTP server never received",
    )


async def _check_images(db: Executor, image_ids: list[uuid.UUID], verdict: Verdict) -> None:
    """Every image processed exactly once: one processed (or failed) event as its status says."""
    rows = await db.fetch(
        "SELECT i.id, i.status, "
        "(SELECT count(*) FROM media.outbox o WHERE o.aggregate_id = i.id::text "
        " AND o.routing_key = 'media.image.processed.v1') AS processed, "
        "(SELECT count(*) FROM media.outbox o WHERE o.aggregate_id = i.id::text "
        " AND o.routing_key = 'media.image.failed.v1') AS failed "
        "FROM media.images i WHERE i.id = ANY($1)",
        image_ids,
    )
    wrong = sum(
        1
        for r in rows
        if (r["processed"], r["failed"]) != {"ready": (1, 0), "failed": (0, 1)}.get(r["status"], (-1, -1))
    )
    verdict.figures["images"] = len(rows)
    verdict.none_allowed("images_not_processed_once", wrong, f"{wrong} images not processed exactly once")
