"""A listing is found by `sourcing=` only for the claims shown as badges (evidenced, held the day
the row is written), and its search row knows the day it stops being true (`stale_on`), which
the daily claims refresh looks for."""

from __future__ import annotations

from datetime import date, timedelta

from services.catalogue.search import search_row, stale_on
from tests.unit.test_catalogue_search_rows import listing, maker

TODAY = date(2025, 6, 2)


def claim(scheme: str, *, evidenced: bool = True, expires_on: date | None = None) -> dict:
    return {
        "scheme": scheme,
        "scope": "metal",
        "evidenced": evidenced,
        "expires_on": expires_on.isoformat() if expires_on else None,
    }


def sourcing(terms: list[str]) -> list[str]:
    return [term for term in terms if term.startswith("sourcing:")]


def test_only_evidenced_claims_find_a_listing() -> None:
    holder = maker(claims=[claim("fairmined"), claim("fairtrade", evidenced=False)])
    row = search_row(listing(), holder, TODAY)
    assert sourcing(row.terms) == ["sourcing:fairmined"]


def test_a_claim_finds_its_listing_through_its_expiry_day_and_not_the_day_after() -> None:
    holder = maker(claims=[claim("fairmined", expires_on=TODAY), claim("fairtrade")])
    both = ["sourcing:fairmined", "sourcing:fairtrade"]
    assert sourcing(search_row(listing(), holder, TODAY).terms) == both
    after = TODAY + timedelta(days=1)
    assert sourcing(search_row(listing(), holder, after).terms) == ["sourcing:fairtrade"]


def test_a_row_is_stale_the_day_after_the_earliest_current_expiry() -> None:
    holder = maker(
        claims=[
            claim("fairmined", expires_on=TODAY + timedelta(days=3)),
            claim("fairtrade", expires_on=TODAY),
            claim("recycled", expires_on=TODAY - timedelta(days=1)),  # already gone: not awaited
            claim("other"),
        ]
    )
    assert stale_on(holder, TODAY) == TODAY + timedelta(days=1)
    assert search_row(listing(), holder, TODAY).stale_on == TODAY + timedelta(days=1)
    # Written the next day, the row waits for the next expiry.
    assert stale_on(holder, TODAY + timedelta(days=1)) == TODAY + timedelta(days=4)


def test_a_row_whose_claims_never_expire_is_never_stale() -> None:
    assert stale_on(maker(claims=[claim("fairmined")]), TODAY) is None
    assert stale_on(maker(), TODAY) is None


def test_the_refresh_runs_in_the_catalogue_worker_and_as_a_command() -> None:
    from ops.cli import build_parser
    from services.catalogue.app import SERVICE

    jobs = {job.name: job.every_s for job in SERVICE.jobs}
    assert jobs["refresh-expired-claims"] <= 3600  # cheap when nothing is due: acts near midnight
    assert build_parser().parse_args(["refresh-claims"]).command == "refresh-claims"
