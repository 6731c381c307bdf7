"""The shared mechanisms every service uses: Money, the aggregate base, the time-id cursor and
how a domain refusal is said in HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.aggregate import Aggregate
from shared.config import ServiceSettings
from shared.db import UnitOfWork
from shared.errors import (
    DomainError,
    ProblemError,
    Violation,
    conflict,
    forbidden,
    not_found,
    rules_violated,
    state_conflict,
)
from shared.http import problem_for
from shared.money import Money, currency_not_accepted
from shared.paging import decode_time_id, encode_cursor, encode_time_id

# A fixed id, so parametrised tests have the same ids in every collection (--lf, --deselect, xdist).
SOME_ID = "5f0c6a4e-2d3b-4c1a-9e8f-7a6b5c4d3e2f"


def gbp(amount: int) -> Money:
    return Money(amount=amount, currency="GBP")


class TestMoney:
    def test_arithmetic_stays_in_minor_units(self) -> None:
        assert gbp(1250) + gbp(750) == gbp(2000)
        assert gbp(1250) - gbp(2000) == gbp(-750)
        assert -gbp(5) == gbp(-5)
        assert gbp(1999) * 3 == gbp(5997)
        assert Money.total([gbp(1), gbp(2), gbp(3)], "GBP") == gbp(6)
        assert Money.total([], "EUR") == Money.zero("EUR")

    def test_share_rounds_half_up_to_the_minor_unit(self) -> None:
        assert gbp(1000).share(Decimal("0.15")) == gbp(150)
        assert gbp(5).share(Decimal("0.5")) == gbp(3)  # 2.5 -> 3
        assert gbp(3).share(Decimal("0.5")) == gbp(2)  # 1.5 -> 2

    def test_currencies_never_mix(self) -> None:
        with pytest.raises(ValueError, match="GBP with EUR"):
            gbp(1) + Money(amount=1, currency="EUR")
        with pytest.raises(ValueError):
            Money.total([gbp(1), Money(amount=1, currency="USD")], "GBP")

    @pytest.mark.parametrize("amount", [True, 1.0, "100", Decimal(1), 10**12 + 1, -(10**12) - 1])
    def test_only_whole_minor_units_within_bounds(self, amount: object) -> None:
        with pytest.raises(ValidationError):
            Money(amount=amount, currency="GBP")  # type: ignore[arg-type]

    @pytest.mark.parametrize("currency", ["XYZ", "QQQ", "gbp", "GB", "GBPP", ""])
    def test_currency_is_an_iso_4217_code(self, currency: str) -> None:
        # One stable error type every API reports as the violation's code (issue 13: a listing
        # priced in XYZ, a commission budget in QQQ).
        with pytest.raises(ValidationError) as excinfo:
            Money(amount=1, currency=currency)
        [error] = excinfo.value.errors()
        assert (error["type"], error["loc"]) == ("currency_invalid", ("currency",))

    @pytest.mark.parametrize("currency", ["GBP", "EUR", "USD", "JPY", "CHF"])
    def test_iso_4217_codes_are_accepted(self, currency: str) -> None:
        assert Money(amount=1, currency=currency).currency == currency

    def test_currency_not_accepted_by_the_marketplace(self) -> None:
        assert currency_not_accepted("GBP", ["GBP"], ("price",)) is None
        assert currency_not_accepted("EUR", ["GBP", "EUR"], ("price",)) is None
        refused = currency_not_accepted("EUR", ["GBP"], ("price", "currency"))
        assert refused is not None
        assert (refused.code, refused.loc) == ("currency_not_accepted", ("price", "currency"))

    def test_market_currencies_setting(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("MARKET_CURRENCIES", raising=False)
        assert ServiceSettings().currencies == ["GBP"]
        monkeypatch.setenv("MARKET_CURRENCIES", '["GBP", "EUR"]')
        assert ServiceSettings().currencies == ["GBP", "EUR"]
        for bad in ('["XYZ"]', "[]"):
            monkeypatch.setenv("MARKET_CURRENCIES", bad)
            with pytest.raises(ValidationError):
                ServiceSettings()

    def test_multiplying_by_anything_but_a_whole_number_is_a_bug(self) -> None:
        with pytest.raises(TypeError):
            gbp(1) * True
        with pytest.raises(TypeError):
            gbp(1) * 1.5  # type: ignore[operator]

    def test_json_shape(self) -> None:
        assert gbp(1200).model_dump() == {"amount": 1200, "currency": "GBP"}
        assert Money.model_validate_json('{"amount": 5, "currency": "EUR"}') == Money(
            amount=5, currency="EUR"
        )


@dataclass(eq=False)
class Thing(Aggregate[str]):
    id: uuid.UUID
    version: int
    name: str

    def rename(self, name: str) -> None:
        self.name = name
        self.version += 1
        self.record(f"renamed:{name}")


class TestAggregate:
    def test_events_are_recorded_then_pulled_once(self) -> None:
        thing = Thing(uuid.uuid4(), 1, "a")
        thing.rename("b")
        thing.rename("c")
        assert thing.pending_events == ["renamed:b", "renamed:c"]
        assert thing.pull_events() == ["renamed:b", "renamed:c"]
        assert thing.pull_events() == []
        assert thing.version == 3

    def test_pending_events_are_not_part_of_the_state(self) -> None:
        @dataclass
        class Value(Aggregate[str]):
            id: uuid.UUID
            version: int

        same_id = uuid.uuid4()
        changed, untouched = Value(same_id, 1), Value(same_id, 1)
        changed.record("x")
        assert changed == untouched
        assert "'x'" not in repr(changed)


class TestTimeIdCursor:
    def test_round_trip(self) -> None:
        position = (datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=UTC), uuid.uuid4())
        assert decode_time_id(encode_time_id(position)) == position
        assert encode_time_id(None) is None
        assert decode_time_id(None) is None

    @pytest.mark.parametrize(
        "cursor",
        [
            "not base64 !",
            encode_cursor(["2026-12-06T01:02:03+00:00"]),
            encode_cursor(["yesterday", SOME_ID]),
            encode_cursor(["2026-12-06T01:02:03+00:00", "not-a-uuid"]),
            encode_cursor(["2026-12-06T01:02:03", SOME_ID]),  # no time zone
            encode_cursor([1, 2]),
        ],
    )
    def test_anything_else_is_a_400(self, cursor: str) -> None:
        with pytest.raises(ProblemError) as refused:
            decode_time_id(cursor)
        assert (refused.value.status, refused.value.code) == (400, "invalid_cursor")


class TestDomainRefusalsInHttp:
    def test_each_kind_keeps_its_status_code_and_details(self) -> None:
        one = Violation(("price",), "Must be positive", "price_not_positive")
        two = Violation(("title",), "Required", "required")
        cases: list[tuple[DomainError, int, str]] = [
            (rules_violated([one]), 422, "price_not_positive"),
            (rules_violated([one, two]), 422, "rules_violated"),
            (state_conflict("archived", "edit"), 409, "invalid_state"),
            (conflict("handle_taken", "That handle is taken"), 409, "handle_taken"),
            (not_found("Order"), 404, "not_found"),
            (forbidden(), 403, "forbidden"),
        ]
        for error, status, code in cases:
            problem = problem_for(error)
            assert (problem.status, problem.code, problem.detail) == (status, code, error.detail)
            assert problem.errors == error.errors
            assert problem.extra == error.extra
        assert problem_for(state_conflict("archived", "edit")).extra == {"current_state": "archived"}
        assert problem_for(state_conflict("archived", "edit")).detail == "Cannot edit while archived"


class TestLoadedVersions:
    """The unit of work remembers the version each aggregate was loaded at (its transaction is
    not needed for that, so no database here)."""

    def test_a_loaded_aggregate_is_written_over_the_version_it_was_loaded_at(self) -> None:
        uow = UnitOfWork(pool=None, producer="things")  # type: ignore[arg-type]
        loaded = uow.track(Thing(uuid.uuid4(), 4, "a"))
        loaded.rename("b")
        assert uow.loaded_version(loaded) == 4
        uow.mark_saved(loaded)
        assert uow.loaded_version(loaded) == 5

    def test_an_aggregate_it_did_not_load_is_new(self) -> None:
        uow = UnitOfWork(pool=None, producer="things")  # type: ignore[arg-type]
        twin = Thing(uuid.uuid4(), 1, "a")
        uow.track(Thing(twin.id, 1, "a"))
        assert uow.loaded_version(twin) is None
