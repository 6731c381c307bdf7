"""An approved maker keeps their record current from the dashboard, in a real browser: a new
sponsor's mark and the declarations it answers to, and sourcing claims added or renewed. Each
refusal is said in words beside the field it is about, never as a code."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser import support
from tests.browser.conftest import Stack
from tests.browser.support import Gateway
from tests.browser.test_journeys import sign_in


async def test_an_approved_maker_changes_their_sponsor_mark_and_renews_a_claim(
    page: Page, gw: Gateway, stack: Stack
) -> None:
    maker_user, maker = await support.submitted_maker(gw, "Hallam Forge", "hallam", sourcing_claims=[])
    approve = {"decision": "approve", "note": None}
    await gw.call(
        "POST", f"/makers/{maker['id']}/review", token=stack.operator.token, expect=200, json=approve
    )

    await sign_in(page, maker_user, "/maker")
    await page.get_by_role("link", name="Your record").click()
    record = page.get_by_role("region", name="Your maker record")
    compliance = record.locator("form.compliance-form")

    # Withdrawing the sponsor's mark while still working precious metals: refused, in words.
    await compliance.get_by_label("Sponsor's mark").fill("")
    await compliance.get_by_label("Assay office").select_option("")
    await compliance.get_by_role("button", name="Save hallmarking and declarations").click()
    error = compliance.locator("[data-field-loc='hallmarking'] .field-error")
    await expect(error).to_contain_text("registered sponsor's mark")
    await expect(error).to_have_attribute("data-code", "checklist_sponsor_mark")
    await expect(compliance).not_to_contain_text("checklist_sponsor_mark")

    # A new mark registered at another office: saved, and written in the history.
    await compliance.get_by_label("Sponsor's mark").fill("hfg")
    await compliance.get_by_label("Assay office").select_option("london")
    await compliance.get_by_role("button", name="Save hallmarking and declarations").click()
    await expect(page.locator(".timeline")).to_contain_text("FFH (Sheffield) → HFG (London)")
    _, saved = await gw.call("GET", "/makers/me", token=maker_user.token, expect=200)
    assert (saved["status"], saved["hallmarking"]) == (
        "approved",
        {"sponsor_mark": "HFG", "assay_office": "london"},
    )

    # A claim whose evidence link is not https: refused on that field, in words.
    claims = page.get_by_role("region", name="Your maker record").locator("form.claims-form")
    await claims.get_by_role("button", name="Add a sourcing claim").click()
    await claims.get_by_label("Scheme").select_option("fairmined")
    await claims.get_by_label("Certificate id (optional)").fill("FM-2026-0107")
    await claims.get_by_label("Evidence link (optional, https)").fill("http://fairmined.example/FM-2026-0107")
    await claims.get_by_label("Expires on (optional)").fill("2027-06-30")
    await claims.get_by_role("button", name="Save sourcing claims").click()
    evidence_error = claims.locator("[data-field-loc='claims.0.evidence_url'] .field-error")
    await expect(evidence_error).to_contain_text("must start with https://")
    await expect(claims).not_to_contain_text("evidence_url_not_https")

    await claims.get_by_label("Evidence link (optional, https)").fill(
        "https://fairmined.example/FM-2026-0107"
    )
    await claims.get_by_role("button", name="Save sourcing claims").click()
    states = page.get_by_role("list", name="Where your claims stand")
    await expect(states.locator("[data-scheme='fairmined']")).to_contain_text("evidence awaiting review")
    _, saved = await gw.call("GET", "/makers/me", token=maker_user.token, expect=200)
    assert [(c["scheme"], c["status"], c["expires_on"]) for c in saved["sourcing_claims"]] == [
        ("fairmined", "pending_verification", "2027-06-30")
    ]
    assert saved["status"] == "approved"
