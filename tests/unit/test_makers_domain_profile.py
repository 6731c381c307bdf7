"""A maker's profile (services/makers/domain/profile.py): editing it with a patch, and the
validation boundaries of every field (handles, sponsor marks, countries, lengths, list sizes,
control characters, URLs, enumerations)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from services.makers.domain import (
    Hallmarking,
    Location,
    MakerProfile,
    MakerProfilePatch,
    MakerStatus,
    ProductionPartner,
    SourcingClaim,
)
from shared.errors import RulesViolated
from tests.unit.makers_domain_support import (
    CREATED,
    LATER,
    OPERATOR,
    OWNER,
    codes,
    draft,
    maker_in,
    profile,
    profile_data,
)

# --- editing --------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent() -> None:
    maker = draft()
    before = maker.profile

    maker.edit(
        MakerProfilePatch.model_validate({"display_name": "Stone & Silver", "techniques": []}),
        OWNER,
        LATER,
    )

    assert maker.profile.display_name == "Stone & Silver"
    assert maker.profile.techniques == []
    assert maker.profile.model_dump(exclude={"display_name", "techniques"}) == before.model_dump(
        exclude={"display_name", "techniques"}
    )


def test_patch_with_nothing_new_records_nothing() -> None:
    maker = draft()
    maker.pull_events()
    maker.edit(MakerProfilePatch(display_name=maker.profile.display_name), OWNER, LATER)
    maker.edit(MakerProfilePatch(), OWNER, LATER)
    assert maker.version == 1
    assert maker.updated_at == CREATED
    assert maker.pending_events == []


@pytest.mark.parametrize("field", ["legal_name", "location", "hallmarking"])
def test_patch_null_clears_an_optional_field(field: str) -> None:
    maker = draft()
    maker.edit(MakerProfilePatch.model_validate({field: None}), OWNER, LATER)
    assert getattr(maker.profile, field) is None


@pytest.mark.parametrize(
    "field",
    ["handle", "display_name", "bio", "techniques", "portfolio_urls", "terms_accepted"],
)
def test_patch_null_is_refused_for_a_field_that_cannot_be_empty(field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        MakerProfilePatch.model_validate({field: None})
    assert codes(raised.value) == [((field,), "null_not_allowed")]


def test_patch_refuses_unknown_fields_such_as_status() -> None:
    for field in ("status", "id", "user_id", "checklist", "history", "version"):
        with pytest.raises(ValidationError) as raised:
            MakerProfilePatch.model_validate({field: "approved"})
        assert codes(raised.value) == [((field,), "extra_forbidden")]


def test_patch_validates_like_the_profile() -> None:
    with pytest.raises(ValidationError) as raised:
        MakerProfilePatch.model_validate(
            {"handle": "Bad Handle", "location": {"country": "UK"}, "portfolio_urls": ["ftp://x"]}
        )
    assert codes(raised.value) == [
        (("handle",), "string_pattern_mismatch"),
        (("location", "country"), "invalid_country"),
        (("portfolio_urls", 0), "invalid_url"),
    ]


def test_patch_offers_exactly_the_profile_fields() -> None:
    assert set(MakerProfilePatch.model_fields) == set(MakerProfile.model_fields)


# --- validation boundaries ------------------------------------------------------------------------


def refused(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        MakerProfile.model_validate(data)
    return codes(raised.value)


@pytest.mark.parametrize(
    "handle", ["abc", "a-b", "silver-and-stone", "ring2025", "123", "a" * 40, "a-" * 19 + "ab"]
)
def test_valid_handles(handle: str) -> None:
    assert profile(handle=handle).handle == handle


@pytest.mark.parametrize(
    ("handle", "code"),
    [
        ("ab", "string_too_short"),
        ("a" * 41, "string_too_long"),
        ("Silver", "string_pattern_mismatch"),
        ("a--b", "string_pattern_mismatch"),
        ("-abc", "string_pattern_mismatch"),
        ("abc-", "string_pattern_mismatch"),
        ("a_b", "string_pattern_mismatch"),
        ("a b c", "string_pattern_mismatch"),
        ("émile", "string_pattern_mismatch"),
    ],
)
def test_invalid_handles(handle: str, code: str) -> None:
    assert refused(profile_data(handle=handle)) == [(("handle",), code)]


@pytest.mark.parametrize("mark", ["AB", "ABC", "ABCDE"])
def test_valid_sponsor_marks(mark: str) -> None:
    assert Hallmarking(sponsor_mark=mark, assay_office="london").sponsor_mark == mark


@pytest.mark.parametrize("mark", ["A", "ABCDEF", "", "ab", "A1", "A B", "ÅB"])
def test_invalid_sponsor_marks(mark: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Hallmarking(sponsor_mark=mark, assay_office="london")
    assert codes(raised.value) == [(("sponsor_mark",), "string_pattern_mismatch")]


@pytest.mark.parametrize("office", ["london", "birmingham", "sheffield", "edinburgh"])
def test_assay_offices(office: str) -> None:
    assert Hallmarking(sponsor_mark="AB", assay_office=office).assay_office == office  # type: ignore[arg-type]


def test_unknown_assay_office_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        Hallmarking(sponsor_mark="AB", assay_office="glasgow")  # type: ignore[arg-type]
    assert codes(raised.value) == [(("assay_office",), "literal_error")]


@pytest.mark.parametrize("country", ["GB", "FR", "US", "IE", "JP"])
def test_valid_country_codes(country: str) -> None:
    assert Location(country=country).country == country


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("UK", "invalid_country"),
        ("XX", "invalid_country"),
        ("gb", "invalid_country"),
        ("G", "string_too_short"),
        ("GBR", "string_too_long"),
        ("", "string_too_short"),
    ],
)
def test_invalid_country_codes(country: str, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Location(country=country)
    assert codes(raised.value) == [(("country",), code)]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        (profile_data(status="approved"), ("status",)),
        (profile_data(location={"country": "GB", "city": "Leeds"}), ("location", "city")),
        (
            profile_data(hallmarking={"sponsor_mark": "AB", "assay_office": "london", "x": 1}),
            ("hallmarking", "x"),
        ),
        (
            profile_data(production_partners=[{"name": "A", "role": "B", "email": "a@b"}]),
            ("production_partners", 0, "email"),
        ),
        (
            profile_data(sourcing_claims=[{"scheme": "recycled", "scope": "metal", "badge": True}]),
            ("sourcing_claims", 0, "badge"),
        ),
    ],
)
def test_unknown_fields_are_refused(data: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert refused(data) == [(loc, "extra_forbidden")]


def claim_with(**fields: Any) -> dict[str, Any]:
    return {"scheme": "recycled", "scope": "metal", **fields}


# (data builder taking a value, the loc of the error, largest accepted value)
STRING_CAPS: list[tuple[str, Callable[[Any], dict[str, Any]], tuple[Any, ...], int]] = [
    ("display_name", lambda v: profile_data(display_name=v), ("display_name",), 80),
    ("legal_name", lambda v: profile_data(legal_name=v), ("legal_name",), 200),
    ("bio", lambda v: profile_data(bio=v), ("bio",), 5000),
    ("region", lambda v: profile_data(location={"country": "GB", "region": v}), ("location", "region"), 100),
    ("technique", lambda v: profile_data(techniques=[v]), ("techniques", 0), 60),
    (
        "partner name",
        lambda v: profile_data(production_partners=[{"name": v, "role": "r"}]),
        ("production_partners", 0, "name"),
        120,
    ),
    (
        "partner role",
        lambda v: profile_data(production_partners=[{"name": "n", "role": v}]),
        ("production_partners", 0, "role"),
        120,
    ),
    (
        "supplier",
        lambda v: profile_data(sourcing_claims=[claim_with(supplier=v)]),
        ("sourcing_claims", 0, "supplier"),
        200,
    ),
    (
        "certificate_id",
        lambda v: profile_data(sourcing_claims=[claim_with(certificate_id=v)]),
        ("sourcing_claims", 0, "certificate_id"),
        100,
    ),
]


@pytest.mark.parametrize(
    ("build", "loc", "cap"), [c[1:] for c in STRING_CAPS], ids=[c[0] for c in STRING_CAPS]
)
def test_string_length_caps(build: Callable[[Any], dict[str, Any]], loc: tuple[Any, ...], cap: int) -> None:
    MakerProfile.model_validate(build("x" * cap))
    assert refused(build("x" * (cap + 1))) == [(loc, "string_too_long")]


def test_url_length_cap() -> None:
    base = "https://example.com/"
    at_cap = base + "a" * (2048 - len(base))
    assert profile(portfolio_urls=[at_cap]).portfolio_urls == [at_cap]
    assert refused(profile_data(portfolio_urls=[at_cap + "a"])) == [
        (("portfolio_urls", 0), "string_too_long")
    ]


LIST_CAPS: list[tuple[str, Any, int]] = [
    ("techniques", "filigree", 20),
    ("production_partners", {"name": "Caster", "role": "casting"}, 20),
    ("portfolio_urls", "https://example.com/p", 10),
    ("sourcing_claims", claim_with(), 20),
]


@pytest.mark.parametrize(("field", "item", "cap"), LIST_CAPS, ids=[c[0] for c in LIST_CAPS])
def test_list_size_caps(field: str, item: Any, cap: int) -> None:
    assert len(getattr(profile(**{field: [item] * cap}), field)) == cap
    assert refused(profile_data(**{field: [item] * (cap + 1)})) == [((field,), "too_long")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", ""), ("display_name", "   "), ("techniques", [""]), ("legal_name", " ")],
)
def test_blank_strings_are_refused(field: str, value: Any) -> None:
    [(_, code)] = refused(profile_data(**{field: value}))
    assert code == "string_too_short"


def test_strings_are_trimmed() -> None:
    assert profile(display_name="  Silver & Stone  ").display_name == "Silver & Stone"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "Silver\x00Stone"),
        ("display_name", "Two\nlines"),
        ("techniques", ["a\x1bb"]),
        ("bio", "nul \x00 byte"),
    ],
)
def test_control_characters_are_refused(field: str, value: Any) -> None:
    [(_, code)] = refused(profile_data(**{field: value}))
    assert code == "control_character"


def test_lone_surrogates_are_refused() -> None:
    # UTF-8 cannot encode them, so the database would fail on them.
    assert refused(profile_data(legal_name="lone \ud800 surrogate")) == [(("legal_name",), "string_unicode")]
    maker = maker_in(MakerStatus.APPROVED)
    with pytest.raises(RulesViolated) as raised:
        maker.suspend("lone \ud800 surrogate", OPERATOR, LATER)
    assert raised.value.code == "control_character"


def test_bio_keeps_line_breaks_and_tabs() -> None:
    assert profile(bio="Line one\nLine two\r\n\tindented").bio == "Line one\nLine two\r\n\tindented"


@pytest.mark.parametrize(
    "url", ["https://example.com/portfolio", "http://example.com/a?b=c", "https://ex.co.uk/"]
)
def test_http_urls_are_kept_as_strings(url: str) -> None:
    [kept] = profile(portfolio_urls=[url]).portfolio_urls
    assert kept == url
    assert type(kept) is str


def test_urls_are_normalised() -> None:
    assert profile(portfolio_urls=["https://Example.COM"]).portfolio_urls == ["https://example.com/"]


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "javascript:alert(1)", "example.com", "https://", "", "not a url"]
)
def test_non_http_urls_are_refused(url: str) -> None:
    [(loc, code)] = refused(profile_data(portfolio_urls=[url]))
    assert loc == ("portfolio_urls", 0)
    assert code in {"invalid_url", "string_too_short"}
    [(loc, code)] = refused(profile_data(sourcing_claims=[claim_with(evidence_url=url)]))
    assert loc == ("sourcing_claims", 0, "evidence_url")


@pytest.mark.parametrize("value", ["true", 1, "yes", None])
def test_attestations_must_be_real_booleans(value: Any) -> None:
    for field in ("terms_accepted", "system_of_warranties_attested", "works_precious_metals"):
        [(loc, _)] = refused(profile_data(**{field: value}))
        assert loc == (field,)


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        (profile_data(business_type="partnership"), ("business_type",)),
        (
            profile_data(sourcing_claims=[claim_with(scheme="conflict_free")]),
            ("sourcing_claims", 0, "scheme"),
        ),
        (profile_data(sourcing_claims=[claim_with(scope="packaging")]), ("sourcing_claims", 0, "scope")),
    ],
)
def test_enumerations_are_closed(data: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert refused(data) == [(loc, "literal_error")]


def test_claim_expiry_is_a_date() -> None:
    assert SourcingClaim.model_validate(claim_with(expires_on="2026-03-31")).expires_on == date(2026, 3, 31)
    with pytest.raises(ValidationError):
        SourcingClaim.model_validate(claim_with(expires_on="next year"))


def test_value_objects_are_immutable() -> None:
    partner = ProductionPartner(name="Caster", role="casting")
    with pytest.raises(ValidationError):
        partner.name = "Other"  # type: ignore[misc]
