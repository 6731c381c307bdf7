"""The application checklist: what a maker must have filled in before submitting (blocking
items), and advice shown beside it (sourcing evidence). See docs/domain.md."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from services.makers.domain.profile import EvidenceStatus, MakerProfile, ValueObject
from shared.errors import Violation, rules_violated

ChecklistStatus = Literal["met", "unmet", "not_applicable"]


class ChecklistItem(ValueObject):
    item: str
    status: ChecklistStatus
    blocking: bool

    @property
    def blocks_submission(self) -> bool:
        return self.blocking and self.status == "unmet"


_BLOCKING_ITEM_MESSAGES = {
    "terms_accepted": "The marketplace terms must be accepted",
    "portfolio_url": "At least one portfolio URL is required",
    "sponsor_mark": ("A maker who works precious metals needs a registered sponsor mark and assay office"),
    "system_of_warranties": ("A maker who sells natural diamonds must attest to the System of Warranties"),
}


def _required_item(item: str, met: bool, required: bool) -> ChecklistItem:
    if met:
        status: ChecklistStatus = "met"
    else:
        status = "unmet" if required else "not_applicable"
    return ChecklistItem(item=item, status=status, blocking=required)


def checklist_of(
    profile: MakerProfile, claim_statuses: Sequence[EvidenceStatus] | None = None
) -> list[ChecklistItem]:
    """The checklist. `claim_statuses` (one per claim, in order) come from the maker's reviews;
    without them a claim with evidence counts as waiting for verification. The sourcing item is
    met when every claim carries evidence that was not rejected (verified or still pending: the
    maker has done their part)."""
    claims = profile.sourcing_claims
    statuses = (
        list(claim_statuses)
        if claim_statuses is not None
        else ["pending_verification" if c.has_evidence else "self_declared" for c in claims]
    )
    if not claims:
        sourcing_status: ChecklistStatus = "not_applicable"
    elif all(status in ("pending_verification", "evidenced") for status in statuses):
        sourcing_status = "met"
    else:
        sourcing_status = "unmet"
    return [
        _required_item("terms_accepted", profile.terms_accepted, required=True),
        _required_item("portfolio_url", bool(profile.portfolio_urls), required=True),
        _required_item("sponsor_mark", profile.hallmarking is not None, profile.works_precious_metals),
        _required_item(
            "system_of_warranties",
            profile.system_of_warranties_attested,
            profile.natural_diamonds,
        ),
        # Advice only: self-declared claims are allowed, they are just shown as such.
        ChecklistItem(item="sourcing_evidence", status=sourcing_status, blocking=False),
    ]


def require_checklist_met(profile: MakerProfile, items: Sequence[str] | None = None) -> None:
    """Refuse (RulesViolated) naming every unmet blocking item (of `items` only, when given)."""
    unmet = [
        item
        for item in checklist_of(profile)
        if item.blocks_submission and (items is None or item.item in items)
    ]
    if unmet:
        raise rules_violated(
            [
                Violation(
                    ("checklist", item.item),
                    _BLOCKING_ITEM_MESSAGES[item.item],
                    f"checklist_{item.item}",
                )
                for item in unmet
            ]
        )
