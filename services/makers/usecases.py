"""The makers use cases: create an application, edit and submit it, review it, suspend and
reinstate a maker, reopen a rejected application, keep sourcing claims and review their evidence,
keep an approved maker's compliance fields current, set a shipping profile.

Each is a plain async function over a unit of work (one transaction): it loads the maker,
applies one domain command, saves the maker over the version it loaded and writes the events
that command recorded to the outbox, so the change and its events commit together. The HTTP
handlers call these; so can a test, with no HTTP. Who may call which is the caller's check
(the route's roles), except that only its owner may touch a maker's own application.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.makers import store
from services.makers.domain import (
    ClaimDecision,
    ComplianceChange,
    Maker,
    MakerProfile,
    MakerProfilePatch,
    ReviewDecision,
    ShippingProfile,
    SourcingClaim,
    SourcingScheme,
)
from shared.contracts.makers import (
    MakerApproved,
    MakerChangesRequested,
    MakerClaimReviewed,
    MakerClaimsUpdated,
    MakerComplianceUpdated,
    MakerProfileUpdated,
    MakerReinstated,
    MakerRejected,
    MakerReopened,
    MakerShippingUpdated,
    MakerSnapshotEvent,
    MakerSubmitted,
    MakerSuspended,
)
from shared.contracts.reviews import Rating
from shared.db import UnitOfWork
from shared.errors import not_found

PRODUCER = "makers"

# The contract event each domain event is published as. A new draft (`created`) is nobody
# else's business, so it is not published.
_CONTRACT_EVENTS: dict[str, type[MakerSnapshotEvent]] = {
    "submitted": MakerSubmitted,
    "approved": MakerApproved,
    "rejected": MakerRejected,
    "changes_requested": MakerChangesRequested,
    "suspended": MakerSuspended,
    "reinstated": MakerReinstated,
    "profile_updated": MakerProfileUpdated,
    "reopened": MakerReopened,
    "claims_updated": MakerClaimsUpdated,
    "claim_reviewed": MakerClaimReviewed,
    "compliance_updated": MakerComplianceUpdated,
    "shipping_updated": MakerShippingUpdated,
}


def published_events(maker: Maker, today: date) -> list[MakerSnapshotEvent]:
    """Pull the maker's recorded events and translate those others hear about into contract
    events: each carries the maker's catalogue snapshot, with the version and status that
    event left the maker in."""
    snapshot = maker.catalogue_snapshot(today).model_dump(mode="json", exclude={"version"})
    return [
        _CONTRACT_EVENTS[event.name].model_validate(
            {**snapshot, "maker_version": event.version, "status": event.status.value}
        )
        for event in maker.pull_events()
        if event.name in _CONTRACT_EVENTS
    ]


async def _save(uow: UnitOfWork, maker: Maker, today: date) -> None:
    await store.save(uow, maker)
    for event in published_events(maker, today):
        uow.emit(event, aggregate_id=maker.id, aggregate_version=event.maker_version)


async def _change(
    uow: UnitOfWork,
    maker_id: UUID,
    command: Callable[[Maker], None],
    now: datetime,
    *,
    owner: UUID | None = None,
) -> Maker:
    """Load the maker, apply one command and save it with its events. With `owner`, a maker
    of anyone else is reported missing, never as forbidden."""
    maker = await store.load(uow, maker_id)
    if maker is None or (owner is not None and maker.user_id != owner):
        raise not_found("Maker")
    command(maker)
    if maker.pending_events:  # a command that changed nothing recorded nothing to save
        await _save(uow, maker, now.date())
    return maker


# --- the maker's own application -----------------------------------------------------------------


async def create(uow: UnitOfWork, user_id: UUID, profile: MakerProfile, now: datetime) -> Maker:
    """Start a maker application (a draft) for the maker user `user_id`."""
    maker = Maker.create(user_id, profile, now)
    await _save(uow, maker, now.date())
    return maker


async def edit(uow: UnitOfWork, maker_id: UUID, patch: MakerProfilePatch, by: UUID, now: datetime) -> Maker:
    """Change the fields the patch sent (owner only; in draft or changes_requested)."""
    return await _change(uow, maker_id, lambda m: m.edit(patch, by, now), now, owner=by)


async def submit(uow: UnitOfWork, maker_id: UUID, by: UUID, now: datetime) -> Maker:
    """Submit the application for review (owner only), once the checklist is met."""
    return await _change(uow, maker_id, lambda m: m.submit(by, now), now, owner=by)


async def reopen(uow: UnitOfWork, maker_id: UUID, by: UUID, now: datetime, reapply_after_days: int) -> Maker:
    """Reopen a rejected application as a draft (owner only), once `reapply_after_days` have
    passed since the rejection."""
    return await _change(uow, maker_id, lambda m: m.reopen(by, now, reapply_after_days), now, owner=by)


async def replace_claims(
    uow: UnitOfWork, maker_id: UUID, claims: list[SourcingClaim], by: UUID, now: datetime
) -> Maker:
    """Replace the maker's sourcing claims (owner only; any status but suspended)."""
    return await _change(uow, maker_id, lambda m: m.replace_claims(claims, by, now), now, owner=by)


async def change_compliance(
    uow: UnitOfWork, maker_id: UUID, change: ComplianceChange, by: UUID, now: datetime
) -> Maker:
    """Change an approved maker's sponsor mark or declarations (owner only)."""
    return await _change(uow, maker_id, lambda m: m.change_compliance(change, by, now), now, owner=by)


async def set_shipping(
    uow: UnitOfWork,
    maker_id: UUID,
    profile: ShippingProfile,
    accepted_currencies: Collection[str],
    by: UUID,
    now: datetime,
) -> Maker:
    """Set the maker's shipping profile (owner only; any status), its prices in one of the
    marketplace's currencies (`MARKET_CURRENCIES`)."""
    return await _change(
        uow, maker_id, lambda m: m.set_shipping(profile, accepted_currencies, by, now), now, owner=by
    )


# --- operations ----------------------------------------------------------------------------------


async def review(
    uow: UnitOfWork,
    maker_id: UUID,
    decision: ReviewDecision,
    note: str | None,
    by: UUID,
    now: datetime,
) -> Maker:
    """Approve, reject or request changes to a submitted application."""
    return await _change(uow, maker_id, lambda m: m.review(decision, note, by, now), now)


async def suspend(uow: UnitOfWork, maker_id: UUID, reason: str, by: UUID, now: datetime) -> Maker:
    """Suspend an approved maker, with a reason."""
    return await _change(uow, maker_id, lambda m: m.suspend(reason, by, now), now)


async def reinstate(uow: UnitOfWork, maker_id: UUID, note: str | None, by: UUID, now: datetime) -> Maker:
    """Reinstate a suspended maker."""
    return await _change(uow, maker_id, lambda m: m.reinstate(note, by, now), now)


async def review_claim(
    uow: UnitOfWork,
    maker_id: UUID,
    scheme: SourcingScheme,
    decision: ClaimDecision,
    note: str | None,
    by: UUID,
    now: datetime,
) -> Maker:
    """Verify or reject the evidence of the maker's claims under `scheme` (operators)."""
    return await _change(uow, maker_id, lambda m: m.review_claim(scheme, decision, note, by, now), now)


# --- jobs ----------------------------------------------------------------------------------------


async def republish_stale_snapshots(pool: asyncpg.Pool, now: datetime, batch: int = 100) -> int:
    """Publish a fresh snapshot of every maker marked `snapshot_stale` (migration 0003), a batch
    per transaction; the number republished."""
    count = 0
    while True:
        async with UnitOfWork(pool, PRODUCER) as uow:
            ids = await store.stale_snapshot_ids(uow, batch)
            for maker_id in ids:
                maker = await store.load(uow, maker_id)
                if maker is not None:
                    maker.republish_claims(now)
                    await _save(uow, maker, now.date())
        count += len(ids)
        if len(ids) < batch:
            return count


async def apply_rating(
    uow: UnitOfWork, maker_id: UUID, rating: Rating, histogram: dict[str, int], version: int, now: datetime
) -> bool:
    """Keep the maker's rating summary from reviews (`reviews.ratings.changed`) unless a summary
    of the same or a higher version is kept already: a repeated or late one changes nothing.
    A maker this service does not know yet is kept as well (the events may cross)."""
    return await store.save_rating(uow.conn, maker_id, rating, histogram, version, now)
