"""Makers' HTTP API: thin handlers (parse, authorise, call the domain, call the store, respond).

Who may do what:
    maker users     create their record, read it (/me), edit and submit it (owner only)
    operators       review, suspend and reinstate; read any record in full; list by status
    anyone          the public view of approved makers, and the directory of them

Role checks come from the token (401/403 from the route registry); another user's record that is
not public is reported as missing (404), never as forbidden.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from services.makers import store
from services.makers.domain import (
    HANDLE_PATTERN,
    NOTE_MAX_LENGTH,
    Maker,
    MakerProfile,
    MakerProfilePatch,
    MakerStatus,
    OwnerMakerView,
    PublicMakerView,
)
from shared.auth import Principal
from shared.contracts.makers import (
    MakerApproved,
    MakerChangesRequested,
    MakerProfileUpdated,
    MakerRejected,
    MakerReinstated,
    MakerSnapshotEvent,
    MakerSubmitted,
    MakerSuspended,
)
from shared.db import UnitOfWork
from shared.errors import bad_request, forbidden, not_found, unauthorized
from shared.http import POOL, Call, Routes
from shared.paging import PageQuery, decode_cursor, encode_cursor

routes = Routes("makers")

PRODUCER = "makers"
_HANDLE = re.compile(HANDLE_PATTERN.removeprefix("^").removesuffix("$"))

# --- request and response bodies -----------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewIn(_Body):
    decision: Literal["approve", "reject", "request_changes"]
    note: str | None = Field(
        None, max_length=NOTE_MAX_LENGTH,
        description="Why; required to reject or to request changes",
    )


class SuspendIn(_Body):
    reason: str = Field(min_length=1, max_length=NOTE_MAX_LENGTH)


class ReinstateIn(_Body):
    note: str | None = Field(None, max_length=NOTE_MAX_LENGTH)


class MakerListQuery(PageQuery):
    status: MakerStatus | None = Field(
        None, description="Operators only: list makers in this status (default: approved)"
    )


class MakerView(RootModel[OwnerMakerView | PublicMakerView]):
    """The owner's and operators' full record, or the public view of an approved maker."""


class MakerPage(BaseModel):
    """Public views for everyone; full records for operators."""

    items: list[OwnerMakerView | PublicMakerView]
    next_cursor: str | None = None


# --- helpers -------------------------------------------------------------------------------------

_EVENT_TYPES: dict[str, type[MakerSnapshotEvent]] = {
    "submitted": MakerSubmitted,
    "approved": MakerApproved,
    "rejected": MakerRejected,
    "changes_requested": MakerChangesRequested,
    "suspended": MakerSuspended,
    "reinstated": MakerReinstated,
    "profile_updated": MakerProfileUpdated,
}


def _now() -> datetime:
    return datetime.now(UTC)


def _emit(uow: UnitOfWork, maker: Maker, today: date) -> None:
    """Write the maker's recorded events to the outbox. A new draft is nobody else's business,
    so `created` is not published."""
    snapshot = maker.catalogue_snapshot(today).model_dump(mode="json", exclude={"version"})
    for event in maker.pull_events():
        event_type = _EVENT_TYPES.get(event.name)
        if event_type is None:
            continue
        data = {**snapshot, "maker_version": event.version, "status": event.status.value}
        uow.emit(event_type.model_validate(data), aggregate_id=maker.id,
                 aggregate_version=event.version)


def _sees_everything(principal: Principal | None, maker: Maker) -> bool:
    return principal is not None and (principal.is_operator or principal.user_id == maker.user_id)


def _view(principal: Principal | None, maker: Maker | None, today: date) -> OwnerMakerView | PublicMakerView:
    if maker is not None and _sees_everything(principal, maker):
        return maker.owner_view(today)
    if maker is not None and maker.is_public:
        return maker.public_view(today)
    raise not_found("Maker")


async def _change(
    call: Call, action: Callable[[Maker, datetime], None], *, owner_only: bool
) -> OwnerMakerView:
    """Load, authorise, apply one command and save it with its events, all in one transaction."""
    maker_id = call.path_id()
    principal = call.principal
    assert principal is not None
    now = _now()
    async with UnitOfWork(call.app[POOL], PRODUCER) as uow:
        maker = await store.get(uow.conn, maker_id)
        if maker is None or (owner_only and maker.user_id != principal.user_id):
            raise not_found("Maker")
        loaded_version = maker.version
        action(maker, now)
        if maker.version != loaded_version:
            await store.save(uow.conn, maker, loaded_version)
            _emit(uow, maker, now.date())
    return maker.owner_view(now.date())


def _position(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    position = decode_cursor(cursor, (str, str))
    if position is None:
        return None
    try:
        at = datetime.fromisoformat(position[0])
        maker_id = uuid.UUID(position[1])
    except ValueError:
        raise bad_request("Invalid cursor", code="invalid_cursor") from None
    if at.tzinfo is None:
        raise bad_request("Invalid cursor", code="invalid_cursor")
    return at, maker_id


# --- the maker's own record ---------------------------------------------------------------------

_409 = "Conflict with the current state (named in `current_state`)"


@routes.post("/api/v1/makers", body=MakerProfile, response=OwnerMakerView, status=201,
             roles=("maker",),
             extra_responses={409: "maker_exists: you already have a maker record; "
                                   "handle_taken"})
async def create_maker(call: Call) -> OwnerMakerView:
    """Start a maker application (a draft) for the calling maker user."""
    principal = call.principal
    assert principal is not None
    now = _now()
    maker = Maker.create(principal.user_id, call.body, now)
    async with UnitOfWork(call.app[POOL], PRODUCER) as uow:
        await store.insert(uow.conn, maker)
        _emit(uow, maker, now.date())
    return maker.owner_view(now.date())


# Registered before /api/v1/makers/{id}, which would otherwise match "me".
@routes.get("/api/v1/makers/me", response=OwnerMakerView, roles=("maker",))
async def get_my_maker(call: Call) -> OwnerMakerView:
    """The calling maker user's own full record."""
    principal = call.principal
    assert principal is not None
    maker = await store.get_by_user(call.app[POOL], principal.user_id)
    if maker is None:
        raise not_found("Maker")
    return maker.owner_view(_now().date())


@routes.patch("/api/v1/makers/{id}", body=MakerProfilePatch, response=OwnerMakerView,
              roles=("maker",), extra_responses={409: _409 + "; handle_taken; concurrent_update"})
async def edit_maker(call: Call) -> OwnerMakerView:
    """Edit the profile (owner; only in draft or changes_requested). Only the fields sent change;
    null clears an optional field."""
    user_id = call.principal.user_id  # type: ignore[union-attr]
    return await _change(call, lambda m, now: m.edit(call.body, user_id, now), owner_only=True)


@routes.post("/api/v1/makers/{id}/submit", response=OwnerMakerView, roles=("maker",),
             extra_responses={409: _409})
async def submit_maker(call: Call) -> OwnerMakerView:
    """Submit the application for review (owner). 422 names each unmet blocking checklist item."""
    user_id = call.principal.user_id  # type: ignore[union-attr]
    return await _change(call, lambda m, now: m.submit(user_id, now), owner_only=True)


# --- operations ----------------------------------------------------------------------------------


@routes.post("/api/v1/makers/{id}/review", body=ReviewIn, response=OwnerMakerView,
             roles=("operator",), extra_responses={409: _409})
async def review_maker(call: Call) -> OwnerMakerView:
    """Approve, reject or request changes to a submitted application (operators)."""
    body: ReviewIn = call.body
    user_id = call.principal.user_id  # type: ignore[union-attr]
    return await _change(
        call, lambda m, now: m.review(body.decision, body.note, user_id, now), owner_only=False
    )


@routes.post("/api/v1/makers/{id}/suspend", body=SuspendIn, response=OwnerMakerView,
             roles=("operator",), extra_responses={409: _409})
async def suspend_maker(call: Call) -> OwnerMakerView:
    """Suspend an approved maker, with a reason (operators)."""
    reason = call.body.reason
    user_id = call.principal.user_id  # type: ignore[union-attr]
    return await _change(call, lambda m, now: m.suspend(reason, user_id, now), owner_only=False)


@routes.post("/api/v1/makers/{id}/reinstate", body=ReinstateIn, body_required=False,
             response=OwnerMakerView, roles=("operator",), extra_responses={409: _409})
async def reinstate_maker(call: Call) -> OwnerMakerView:
    """Reinstate a suspended maker (operators). The body `{"note": "..."}` is optional."""
    body: ReinstateIn = call.body
    user_id = call.principal.user_id  # type: ignore[union-attr]
    return await _change(
        call, lambda m, now: m.reinstate(body.note, user_id, now), owner_only=False
    )


# --- reading -------------------------------------------------------------------------------------


@routes.get("/api/v1/makers/by-handle/{handle}", response=MakerView, auth="optional")
async def get_maker_by_handle(call: Call) -> OwnerMakerView | PublicMakerView:
    """A maker by handle (the storefront's /makers/{handle}): the public view of an approved
    maker; the full record for its owner and operators."""
    handle = call.request.match_info["handle"]
    # Anything that is not a well-formed handle cannot exist.
    maker = await store.get_by_handle(call.app[POOL], handle) if _HANDLE.fullmatch(handle) else None
    return _view(call.principal, maker, _now().date())


@routes.get("/api/v1/makers/{id}", response=MakerView, auth="optional")
async def get_maker(call: Call) -> OwnerMakerView | PublicMakerView:
    """A maker: the public view of an approved maker to anyone; the full record to its owner
    and operators, whatever its status."""
    maker = await store.get(call.app[POOL], call.path_id())
    return _view(call.principal, maker, _now().date())


@routes.get("/api/v1/makers", query=MakerListQuery, response=MakerPage, auth="optional")
async def list_makers(call: Call) -> MakerPage:
    """The directory of approved makers (public views). Operators see full records and may add
    ?status= (submitted: the review queue, oldest submission first)."""
    query: MakerListQuery = call.query
    principal = call.principal
    status = query.status or MakerStatus.APPROVED
    if status != MakerStatus.APPROVED:
        if principal is None:
            raise unauthorized()
        if not principal.is_operator:
            raise forbidden("Only operators may list makers by status")
    makers, position = await store.list_by_status(
        call.app[POOL], status, _position(query.cursor), query.limit
    )
    today = _now().date()
    operator = principal is not None and principal.is_operator
    return MakerPage(
        items=[m.owner_view(today) if operator else m.public_view(today) for m in makers],
        next_cursor=encode_cursor([position[0].isoformat(), str(position[1])]) if position else None,
    )
