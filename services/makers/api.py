"""Makers' HTTP API: thin handlers (parse, authorise, call one use case, render).

Who may do what:
    maker users     create their record, read it (/me), edit and submit it, reopen it after a
                    rejection, keep their sourcing claims and (once approved) their compliance
                    fields (owner only)
    operators       review, suspend and reinstate; verify or reject claims' evidence; read any
                    record in full; list by status
    anyone          the public view of approved makers and their shipping profiles, and the
                    directory of them

Role checks come from the token (401/403 from the route registry); another user's record that is
not public is reported as missing (404), never as forbidden.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import cast, get_args

from services.makers import store, usecases
from services.makers.domain import (
    HANDLE_PATTERN,
    ComplianceChange,
    Maker,
    MakerProfile,
    MakerProfilePatch,
    MakerStatus,
    OwnerMakerView,
    PublicMakerView,
    ShippingProfile,
    SourcingScheme,
)
from services.makers.schemas import (
    ClaimReviewIn,
    ClaimsIn,
    MakerListQuery,
    MakerView,
    ReinstateIn,
    ReviewIn,
    SuspendIn,
)
from services.makers.settings import MAKERS_SETTINGS
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, forbidden, not_found, unauthorized
from shared.http import POOL, Call, Routes
from shared.paging import Page, decode_time_id, encode_time_id

routes = Routes("makers")

_HANDLE = re.compile(HANDLE_PATTERN.removeprefix("^").removesuffix("$"))


def _now() -> datetime:
    return datetime.now(UTC)


def _unit_of_work(call: Call) -> UnitOfWork:
    return UnitOfWork(call.app[POOL], usecases.PRODUCER)


async def _change(call: Call, change: Callable[[UnitOfWork, datetime], Awaitable[Maker]]) -> OwnerMakerView:
    """Run one use case in its own unit of work at one instant; the owner's view of the result."""
    now = _now()
    async with _unit_of_work(call) as uow:
        maker = await change(uow, now)
    return maker.owner_view(now.date())


def _sees_everything(principal: Principal | None, maker: Maker) -> bool:
    return principal is not None and (principal.is_operator or principal.user_id == maker.user_id)


def _view(principal: Principal | None, maker: Maker | None, today: date) -> OwnerMakerView | PublicMakerView:
    if maker is not None and _sees_everything(principal, maker):
        return maker.owner_view(today)
    if maker is not None and maker.is_public:
        return maker.public_view(today)
    raise not_found("Maker")


# --- the maker's own record ---------------------------------------------------------------------

_409 = "Conflict with the current state (named in `current_state`)"


@routes.post(
    "/api/v1/makers",
    body=MakerProfile,
    response=OwnerMakerView,
    status=201,
    roles=("maker",),
    extra_responses={409: "maker_exists: you already have a maker record; handle_taken"},
)
async def create_maker(call: Call) -> OwnerMakerView:
    """Start a maker application (a draft) for the calling maker user."""
    return await _change(call, lambda uow, now: usecases.create(uow, call.user.user_id, call.body, now))


# Registered before /api/v1/makers/{id}, which would otherwise match "me".
@routes.get("/api/v1/makers/me", response=OwnerMakerView, roles=("maker",))
async def get_my_maker(call: Call) -> OwnerMakerView:
    """The calling maker user's own full record."""
    maker = await store.get_by_user(call.app[POOL], call.user.user_id)
    if maker is None:
        raise not_found("Maker")
    return maker.owner_view(_now().date())


@routes.patch(
    "/api/v1/makers/{id}",
    body=MakerProfilePatch,
    response=OwnerMakerView,
    roles=("maker",),
    extra_responses={409: _409 + "; handle_taken; concurrent_update"},
)
async def edit_maker(call: Call) -> OwnerMakerView:
    """Edit the profile (owner; only in draft or changes_requested). Only the fields sent change;
    null clears an optional field."""
    return await _change(
        call, lambda uow, now: usecases.edit(uow, call.path_id(), call.body, call.user.user_id, now)
    )


@routes.post(
    "/api/v1/makers/{id}/submit",
    response=OwnerMakerView,
    roles=("maker",),
    extra_responses={
        403: "email_unverified: the maker has not verified their email address yet (the "
        "access token's `email_verified` claim)",
        409: _409,
    },
)
async def submit_maker(call: Call) -> OwnerMakerView:
    """Submit the application for review (owner, with a verified email address). 422 names each
    unmet blocking checklist item."""
    # Who the caller is, not what the record holds: known from the token alone, so refused
    # before the record is read (and without saying whether it exists).
    if not call.user.email_verified:
        raise Forbidden(
            "Verify your email address before submitting your application", code="email_unverified"
        )
    return await _change(call, lambda uow, now: usecases.submit(uow, call.path_id(), call.user.user_id, now))


@routes.post(
    "/api/v1/makers/{id}/reopen",
    response=OwnerMakerView,
    roles=("maker",),
    extra_responses={
        409: _409 + "; reapply_too_soon: the waiting period after the rejection (MAKERS_REAPPLY_AFTER_DAYS) "
        "has not passed, `reapply_from` says when it does"
    },
)
async def reopen_maker(call: Call) -> OwnerMakerView:
    """Reopen a rejected application as a draft (owner), once the waiting period after the
    rejection has passed."""
    days = call.app[MAKERS_SETTINGS].reapply_after_days
    return await _change(
        call, lambda uow, now: usecases.reopen(uow, call.path_id(), call.user.user_id, now, days)
    )


@routes.add(
    "PUT",
    "/api/v1/makers/{id}/claims",
    body=ClaimsIn,
    response=OwnerMakerView,
    roles=("maker",),
    extra_responses={409: _409 + " (suspended); concurrent_update"},
)
async def replace_claims(call: Call) -> OwnerMakerView:
    """Replace the sourcing claims (owner; any status but suspended, which it keeps). A new or
    renewed claim with evidence is pending verification until an operator has checked it."""
    body: ClaimsIn = call.body
    return await _change(
        call, lambda uow, now: usecases.replace_claims(uow, call.path_id(), body.root, call.user.user_id, now)
    )


@routes.patch(
    "/api/v1/makers/{id}/compliance",
    body=ComplianceChange,
    response=OwnerMakerView,
    roles=("maker",),
    extra_responses={409: _409 + " (only an approved maker); concurrent_update"},
)
async def change_compliance(call: Call) -> OwnerMakerView:
    """Change the sponsor mark (`hallmarking`, null to withdraw it), `works_precious_metals`,
    `natural_diamonds` or `system_of_warranties_attested` of an approved maker (owner). Only the
    fields sent change; the checklist's items about them must stay met (422
    checklist_sponsor_mark, checklist_system_of_warranties). The change is written in the
    history, and the catalogue hides the listings the new record no longer allows (with the
    reason on the maker's view of each) and shows them again when it allows them."""
    body: ComplianceChange = call.body
    return await _change(
        call, lambda uow, now: usecases.change_compliance(uow, call.path_id(), body, call.user.user_id, now)
    )


@routes.add(
    "PUT",
    "/api/v1/makers/{id}/shipping",
    body=ShippingProfile,
    response=ShippingProfile,
    roles=("maker",),
    extra_responses={409: "concurrent_update"},
)
async def set_shipping(call: Call) -> ShippingProfile:
    """Set the shipping profile (owner; any status, which it keeps): where the maker dispatches
    from and one rate per zone they post to (`uk`; `europe`: the EU, the EEA and Switzerland;
    `world`: everywhere else); a zone not listed is not shipped to. 422 shipping_zones_required,
    shipping_zone_repeated, shipping_amount_negative, shipping_currency_mixed,
    transit_days_invalid, invalid_country, currency_invalid, currency_not_accepted."""
    body: ShippingProfile = call.body
    currencies = call.app[MAKERS_SETTINGS].currencies
    now = _now()
    async with _unit_of_work(call) as uow:
        maker = await usecases.set_shipping(uow, call.path_id(), body, currencies, call.user.user_id, now)
    return maker.shipping_profile


@routes.get("/api/v1/makers/{id}/shipping", response=ShippingProfile, auth="optional")
async def get_shipping(call: Call) -> ShippingProfile:
    """A maker's shipping profile: to anyone for an approved maker, to its owner and operators
    always. A maker who never set one has the default: the UK only, free, in 1-3 working days."""
    maker = await store.get(call.app[POOL], call.path_id())
    if maker is None or not (maker.is_public or _sees_everything(call.principal, maker)):
        raise not_found("Maker")
    return maker.shipping_profile


# --- operations ----------------------------------------------------------------------------------


@routes.post(
    "/api/v1/makers/{id}/review",
    body=ReviewIn,
    response=OwnerMakerView,
    roles=("operator",),
    extra_responses={409: _409},
)
async def review_maker(call: Call) -> OwnerMakerView:
    """Approve, reject or request changes to a submitted application (operators)."""
    body: ReviewIn = call.body
    return await _change(
        call,
        lambda uow, now: usecases.review(
            uow, call.path_id(), body.decision, body.note, call.user.user_id, now
        ),
    )


@routes.post(
    "/api/v1/makers/{id}/suspend",
    body=SuspendIn,
    response=OwnerMakerView,
    roles=("operator",),
    extra_responses={409: _409},
)
async def suspend_maker(call: Call) -> OwnerMakerView:
    """Suspend an approved maker, with a reason (operators)."""
    body: SuspendIn = call.body
    return await _change(
        call, lambda uow, now: usecases.suspend(uow, call.path_id(), body.reason, call.user.user_id, now)
    )


@routes.post(
    "/api/v1/makers/{id}/reinstate",
    body=ReinstateIn,
    body_required=False,
    response=OwnerMakerView,
    roles=("operator",),
    extra_responses={409: _409},
)
async def reinstate_maker(call: Call) -> OwnerMakerView:
    """Reinstate a suspended maker (operators). The body `{"note": "..."}` is optional."""
    body: ReinstateIn = call.body
    return await _change(
        call, lambda uow, now: usecases.reinstate(uow, call.path_id(), body.note, call.user.user_id, now)
    )


_SCHEMES: frozenset[str] = frozenset(get_args(SourcingScheme))


@routes.post(
    "/api/v1/makers/{id}/claims/{scheme}/verify",
    body=ClaimReviewIn,
    response=OwnerMakerView,
    roles=("operator",),
    extra_responses={409: _409 + ": `self_declared` when the claim has no evidence to verify"},
)
async def review_claim(call: Call) -> OwnerMakerView:
    """Verify or reject the evidence of the maker's claim under {scheme} (operators): the claim
    becomes `evidenced` (shown as a badge) or `rejected`. A rejection needs a note."""
    body: ClaimReviewIn = call.body
    scheme = call.request.match_info["scheme"]
    if scheme not in _SCHEMES:
        raise not_found("Sourcing claim")
    return await _change(
        call,
        lambda uow, now: usecases.review_claim(
            uow,
            call.path_id(),
            cast(SourcingScheme, scheme),
            body.decision,
            body.note,
            call.user.user_id,
            now,
        ),
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


@routes.get(
    "/api/v1/makers",
    query=MakerListQuery,
    response=Page[OwnerMakerView | PublicMakerView],
    auth="optional",
    extra_responses={
        401: "?status= (other than approved) or ?evidence= without a token",
        403: "?status= (other than approved) or ?evidence= by anyone but an operator",
    },
)
async def list_makers(call: Call) -> Page[OwnerMakerView | PublicMakerView]:
    """The directory of approved makers (public views). Operators see full records and may add
    ?status= (submitted: the review queue, oldest submission first) or
    ?evidence=pending_verification (the evidence queue)."""
    query: MakerListQuery = call.query
    principal = call.principal
    status = query.status or MakerStatus.APPROVED
    if status != MakerStatus.APPROVED or query.evidence is not None:
        if principal is None:
            raise unauthorized()
        if not principal.is_operator:
            raise forbidden("Only operators may list makers by status or evidence")
    if query.evidence is not None:
        makers, position = await store.list_pending_evidence(
            call.app[POOL], decode_time_id(query.cursor), query.limit
        )
    else:
        makers, position = await store.list_by_status(
            call.app[POOL], status, decode_time_id(query.cursor), query.limit
        )
    today = _now().date()
    operator = principal is not None and principal.is_operator
    items: list[OwnerMakerView | PublicMakerView] = [
        m.owner_view(today) if operator else m.public_view(today) for m in makers
    ]
    return Page(items=items, next_cursor=encode_time_id(position))
