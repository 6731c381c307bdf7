"""A maker's sourcing claims (services/makers/domain/claims.py): evidence alone never makes a
claim evidenced, only an operator's verification does; expiry, https evidence, and replacing
claims in each status."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest
from pydantic import ValidationError

from services.makers.domain import STORED, MakerStatus, SourcingClaim
from shared.errors import NotFound, RulesViolated, StateConflict
from tests.unit.makers_domain_support import (
    LATER,
    OPERATOR,
    OWNER,
    TODAY,
    checklist_of,
    codes,
    draft,
    maker_in,
)

# --- sourcing claims and their expiry -------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "status"),
    [
        ({"certificate_id": "FM-2025-001"}, "pending_verification"),
        # Live finding: a certificate id like `x` made a claim evidenced. Typed text is not evidence.
        ({"certificate_id": "x"}, "pending_verification"),
        ({"evidence_url": "https://example.com/cert.pdf"}, "pending_verification"),
        ({"certificate_id": "FM-2025-001", "evidence_url": "https://example.com/c"}, "pending_verification"),
        ({}, "self_declared"),
        ({"supplier": "Local refiner"}, "self_declared"),
    ],
)
def test_evidence_alone_never_makes_a_claim_evidenced(evidence: dict[str, str], status: str) -> None:
    claim = SourcingClaim.model_validate({"scheme": "fairmined", "scope": "metal", **evidence})
    assert claim.has_evidence is (status == "pending_verification")

    maker = draft(sourcing_claims=[claim])
    assert maker.claim_status(claim) == status
    assert maker.catalogue_snapshot(TODAY).sourcing_claims[0].evidenced is False
    [public] = maker.public_view(TODAY).model_dump(mode="json")["sourcing_claims"]
    assert public == {
        "scheme": "fairmined",
        "scope": "metal",
        "expires_on": None,
        "evidenced": False,
        "status": status,
    }


@pytest.mark.parametrize(
    ("expires_on", "shown"),
    [(None, True), (TODAY + timedelta(days=1), True), (TODAY, True), (TODAY - timedelta(days=1), False)],
)
def test_claim_expiry_boundary(expires_on: date | None, shown: bool) -> None:
    claim = SourcingClaim(scheme="rjc_coc", scope="metal", certificate_id="RJC-1", expires_on=expires_on)
    assert claim.is_expired(TODAY) is not shown

    maker = draft(sourcing_claims=[claim])
    assert len(maker.public_view(TODAY).sourcing_claims) == int(shown)
    assert len(maker.catalogue_snapshot(TODAY).sourcing_claims) == int(shown)
    [owned] = maker.owner_view(TODAY).sourcing_claims
    assert owned.expired is not shown
    assert owned.certificate_id == "RJC-1"


# --- evidence and its verification ----------------------------------------------------------------

FM_CLAIM = {"scheme": "fairmined", "scope": "metal", "certificate_id": "FM-1", "expires_on": "2025-12-31"}


@pytest.mark.parametrize(
    "url", ["http://evidence.example.com/fm.pdf", "HTTP://evidence.example.com/fm.pdf", "ftp://example.com/f"]
)
def test_evidence_urls_must_be_https(url: str) -> None:
    with pytest.raises(ValidationError) as raised:
        SourcingClaim.model_validate({"scheme": "fairmined", "scope": "metal", "evidence_url": url})
    [(loc, code)] = codes(raised.value)
    assert loc == ("evidence_url",)
    assert code in ("evidence_url_not_https", "invalid_url")
    if url.lower().startswith("http://"):
        assert code == "evidence_url_not_https"


def test_an_https_evidence_url_is_accepted() -> None:
    claim = SourcingClaim.model_validate(
        {"scheme": "fairmined", "scope": "metal", "evidence_url": "https://evidence.example.com/fm.pdf"}
    )
    assert claim.has_evidence


def test_a_stored_http_evidence_url_still_loads() -> None:
    """Records written before the https rule load as they are (and stay pending verification)."""
    data = {"scheme": "fairmined", "scope": "metal", "evidence_url": "http://evidence.example.com/old.pdf"}
    claim = SourcingClaim.model_validate(data, context=STORED)
    assert claim.evidence_url == "http://evidence.example.com/old.pdf"
    assert draft(sourcing_claims=[claim]).claim_status(claim) == "pending_verification"


def test_only_an_operators_verification_makes_a_claim_evidenced() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    [claim] = maker.profile.sourcing_claims
    assert maker.claim_status(claim) == "pending_verification"
    maker.pull_events()

    maker.review_claim("fairmined", "verified", "Certificate matches the registry", OPERATOR, LATER)

    assert maker.claim_status(claim) == "evidenced"
    assert maker.status == MakerStatus.APPROVED
    assert [c.evidenced for c in maker.catalogue_snapshot(TODAY).sourcing_claims] == [True]
    [owned] = maker.owner_view(TODAY).model_dump(mode="json")["sourcing_claims"]
    assert (owned["status"], owned["evidenced"], owned["review"]) == (
        "evidenced",
        True,
        {
            "decision": "verified",
            "at": "2025-06-02T09:00:00Z",
            "by": str(OPERATOR),
            "note": "Certificate matches the registry",
        },
    )
    [event] = maker.pull_events()
    assert (event.name, event.by, event.status) == ("claim_reviewed", OPERATOR, MakerStatus.APPROVED)


def test_a_rejected_claim_is_never_a_badge_and_the_rejection_says_why() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    with pytest.raises(RulesViolated) as raised:
        maker.review_claim("fairmined", "rejected", "  ", OPERATOR, LATER)
    assert raised.value.code == "note_required"

    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    maker.review_claim("fairmined", "rejected", "The certificate is for another refiner", OPERATOR, LATER)

    [claim] = maker.profile.sourcing_claims
    assert maker.claim_status(claim) == "rejected"
    assert maker.catalogue_snapshot(TODAY).sourcing_claims[0].evidenced is False
    assert maker.public_view(TODAY).sourcing_claims[0].status == "rejected"
    assert checklist_of(maker)["sourcing_evidence"] == ("unmet", False)


def test_a_verified_claim_stops_being_evidenced_the_day_after_it_expires() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    expiry = date(2025, 12, 31)
    assert maker.catalogue_snapshot(expiry).sourcing_claims[0].evidenced is True
    assert maker.catalogue_snapshot(expiry + timedelta(days=1)).sourcing_claims == []
    [owned] = maker.owner_view(expiry + timedelta(days=1)).sourcing_claims
    assert (owned.status, owned.evidenced, owned.expired) == ("evidenced", False, True)


def test_reviewing_a_scheme_the_maker_does_not_hold_is_not_found() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    with pytest.raises(NotFound):
        maker.review_claim("fairtrade", "verified", None, OPERATOR, LATER)


def test_a_self_declared_claim_has_nothing_to_verify() -> None:
    maker = draft(sourcing_claims=[{"scheme": "recycled", "scope": "metal"}])
    with pytest.raises(StateConflict) as raised:
        maker.review_claim("recycled", "verified", None, OPERATOR, LATER)
    assert raised.value.extra == {"current_state": "self_declared"}
    assert maker.pending_events[-1].name == "created"


def test_an_unknown_claim_decision_is_refused() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    with pytest.raises(RulesViolated) as raised:
        maker.review_claim("fairmined", "approve", None, OPERATOR, LATER)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_decision"


@pytest.mark.parametrize("start", [s for s in MakerStatus if s != MakerStatus.SUSPENDED])
def test_claims_may_be_replaced_in_any_state_but_suspended_which_is_kept(start: MakerStatus) -> None:
    maker = maker_in(start)
    version, history = maker.version, list(maker.history)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    assert (maker.status, maker.version, maker.history) == (start, version + 1, history)
    [event] = maker.pull_events()
    assert (event.name, event.status, event.by) == ("claims_updated", start, OWNER)


def test_a_suspended_maker_cannot_change_claims() -> None:
    maker = maker_in(MakerStatus.SUSPENDED)
    with pytest.raises(StateConflict) as raised:
        maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    assert raised.value.code == "invalid_state"
    assert maker.pending_events == []


def test_an_approved_maker_renews_an_expired_claim_and_stays_approved() -> None:
    """Live finding: an approved maker could not renew an expired claim (409)."""
    maker = maker_in(MakerStatus.APPROVED)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    after_expiry = date(2026, 1, 1)
    assert maker.catalogue_snapshot(after_expiry).sourcing_claims == []

    renewed = SourcingClaim.model_validate({**FM_CLAIM, "certificate_id": "FM-2", "expires_on": "2026-12-31"})
    maker.replace_claims([renewed], OWNER, LATER)

    assert maker.status == MakerStatus.APPROVED
    # New evidence is looked at again before it shows as a badge.
    assert maker.claim_status(renewed) == "pending_verification"
    assert [c.evidenced for c in maker.catalogue_snapshot(after_expiry).sourcing_claims] == [False]
    assert maker.claim_reviews == []  # the old claim's review went with it
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    assert [c.evidenced for c in maker.catalogue_snapshot(after_expiry).sourcing_claims] == [True]


def test_unchanged_claims_keep_their_review_and_record_nothing() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    maker.pull_events()
    version = maker.version

    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    assert (maker.version, maker.pending_events) == (version, [])

    other = SourcingClaim.model_validate({"scheme": "recycled", "scope": "metal"})
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM), other], OWNER, LATER)
    assert maker.claim_status(maker.profile.sourcing_claims[0]) == "evidenced"


def test_replacing_claims_keeps_the_list_cap() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    with pytest.raises(ValidationError):
        maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)] * 21, OWNER, LATER)


def test_republishing_claims_records_an_event_and_changes_nothing_else() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    profile_before, history_before, version = maker.profile, list(maker.history), maker.version
    maker.republish_claims(LATER)
    assert (maker.profile, maker.history, maker.version) == (profile_before, history_before, version + 1)
    [event] = maker.pull_events()
    assert (event.name, event.status, event.by) == ("claims_updated", MakerStatus.APPROVED, UUID(int=0))
