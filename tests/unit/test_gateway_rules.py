"""The gateway's parts that need no server: account rules, password hashing, CORS,
header hygiene, the merged OpenAPI document and settings."""

from __future__ import annotations

import hashlib

import pytest
from multidict import CIMultiDict

from services.gateway.accounts import Passwords
from services.gateway.domain import (
    Bucket,
    LoginThrottle,
    SecretToken,
    digest_of,
    normalise_email,
    password_violations,
    valid_display_name,
    valid_email,
)
from services.gateway.edge import Cors
from services.gateway.proxy import end_to_end, merge_documents, owner
from services.gateway.settings import GatewaySettings
from shared.auth import generate_keypair

# --- accounts ------------------------------------------------------------------------------------


def test_a_secret_token_is_random_and_kept_only_as_its_sha256() -> None:
    first, second = SecretToken.new(), SecretToken.new()
    assert first.raw != second.raw and len(first.raw) == 43
    assert first.digest == hashlib.sha256(first.raw.encode()).digest() == digest_of(first.raw)
    assert len(first.digest) == 32


def test_emails_are_compared_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"
    assert valid_email("Ada@Example.com") == "ada@example.com"


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a da@x.com",
        "ada@@example.com",
        "ada@example.com.",
        "a" * 250 + "@x.com",
    ],
)
def test_what_cannot_be_an_email_is_refused(email: str) -> None:
    with pytest.raises(ValueError):
        valid_email(email)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("a" * 9, "password_too_short"),
        ("a" * 10, None),
        ("correct horse battery staple", None),
        ("é" * 10, None),  # characters, not bytes
        ("a" * 1024, None),
        ("a" * 1025, "password_too_long"),
        ("ada.lovelace@example.com", "password_is_email"),
        ("ADA.LOVELACE@example.com ", "password_is_email"),
        ("ada.lovelace", "password_is_email"),
    ],
)
def test_the_password_policy(password: str, code: str | None) -> None:
    violations = password_violations(password, "ada.lovelace@example.com")
    assert [v.code for v in violations] == ([code] if code else [])
    assert all(v.loc == ("body", "password") for v in violations)


def test_display_names_are_trimmed_and_never_blank() -> None:
    assert valid_display_name("  Ada  ") == "Ada"
    with pytest.raises(ValueError):
        valid_display_name("   ")


def test_login_buckets_know_how_long_an_idle_one_is_worth_keeping() -> None:
    throttle = LoginThrottle(account=Bucket(10, 1.0), address=Bucket(30, 30.0))
    assert throttle.account.refill_s == 600 and throttle.address.refill_s == 60
    assert throttle.idle_s == 600


async def test_passwords_verify_only_their_own_hash() -> None:
    passwords = Passwords(concurrency=1)
    stored = await passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, "correct horse battery")
    assert not await passwords.verify(stored, "correct horse batterY")
    assert not await passwords.verify("not a hash", "correct horse battery")
    # An unknown account: the dummy hash is checked, and the answer is no.
    assert not await passwords.verify(None, "correct horse battery")
    assert not passwords.needs_rehash(stored)


# --- the per-client rate limit -------------------------------------------------------------------


# --- CORS ----------------------------------------------------------------------------------------


def test_cors_allows_the_configured_origins_only() -> None:
    cors = Cors(["https://shop.example/", "https://admin.example"])
    assert cors.allows("https://shop.example") and cors.allows("https://admin.example")
    assert not cors.allows("https://evil.example") and not cors.allows(None)
    assert Cors(["*"]).allows("https://anywhere.example")
    assert not Cors([]).allows("https://shop.example")


# --- forwarding ----------------------------------------------------------------------------------


def test_hop_by_hop_headers_stay_on_their_hop() -> None:
    headers = CIMultiDict(
        [
            ("Connection", "keep-alive, X-Secret-Hop"),
            ("Keep-Alive", "timeout=5"),
            ("X-Secret-Hop", "1"),
            ("TE", "trailers"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "h2c"),
            ("Proxy-Authorization", "Basic eA=="),
            ("Authorization", "Bearer t"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ]
    )
    kept = end_to_end(headers)
    assert list(kept.items()) == [("Authorization", "Bearer t"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/v1/auth/token", "gateway"),
        ("/api/v1/makers", "makers"),
        ("/api/v1/makers/{id}/review", "makers"),
        ("/api/v1/listings/{id}", "catalogue"),
        ("/api/v1/orders", "orders"),
        ("/api/v1/maker-orders/{id}/dispatch", "orders"),
        ("/api/v1/payouts", "orders"),
        ("/api/v1/commissions/{id}/quote", "orders"),
        ("/api/v1/conversations", "orders"),
        ("/api/v1/conversations/{id}/messages", "orders"),
        ("/api/v1/conversationsx", None),
        ("/api/v1/me/addresses", "orders"),
        ("/api/v1/me/addresses/{id}", "orders"),
        ("/api/v1/me", None),
        ("/api/v1/me/elsewhere", None),
        ("/api/v1/me/addressesx", None),
        ("/api/v1/me/favourites", "catalogue"),
        ("/api/v1/me/favourites/{id}", "catalogue"),
        ("/api/v1/me/favouritesx", None),
        ("/api/v1/images", "media"),
        ("/api/v1/images/{id}", "media"),
        ("/media/{key}", "media"),
        ("/api/v1/makersx", None),
        ("/mediax", None),
        ("/health/ready", None),
        ("/api/v2/makers", None),
    ],
)
def test_every_api_path_has_one_owner(path: str, service: str | None) -> None:
    assert owner(path) == service


def _doc(paths: dict, schemas: dict) -> dict:
    return {
        "openapi": "3.1.0",
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def test_the_merged_document_keeps_each_services_api_paths_and_their_schemas() -> None:
    problem = {"type": "object", "title": "Problem"}
    ref = {"$ref": "#/components/schemas/Money"}
    gateway = _doc({"/api/v1/auth/token": {"post": {}}}, {"Problem": problem})
    catalogue = _doc(
        {
            "/api/v1/listings": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": ref}}}}}
            },
            "/api/v1/orders": {"get": {}},  # not catalogue's to publish
            "/internal/thing": {"get": {}},
        },
        {"Problem": problem, "Money": {"type": "object", "properties": {"amount": {}}}},
    )
    orders = _doc(
        {
            "/api/v1/orders": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": ref}}}}}
            }
        },
        {"Problem": problem, "Money": {"type": "object", "properties": {"minor": {}}}},
    )
    merged = merge_documents(
        "API", {"gateway": gateway, "catalogue": catalogue, "orders": orders, "makers": None}
    )
    assert set(merged["paths"]) == {"/api/v1/auth/token", "/api/v1/listings", "/api/v1/orders"}
    assert merged["paths"]["/api/v1/orders"]["get"] == orders["paths"]["/api/v1/orders"]["get"] | {
        "responses": {
            "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrdersMoney"}}}}
        }
    }
    listing_schema = merged["paths"]["/api/v1/listings"]["get"]["responses"]["200"]
    assert listing_schema["content"]["application/json"]["schema"] == ref
    assert set(merged["components"]["schemas"]) == {"Problem", "Money", "OrdersMoney"}
    assert merged["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    assert merged["info"]["x-unavailable-services"] == ["makers"]
    assert "makers" in merged["info"]["description"]


# --- settings ------------------------------------------------------------------------------------


def test_cors_origins_are_read_as_a_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", " https://a.example , https://b.example,")
    assert GatewaySettings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", '["https://a.example"]')
    assert GatewaySettings().cors_origins == ["https://a.example"]


def test_the_signing_key_comes_from_a_file_or_inline(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    private_pem, _ = generate_keypair()
    monkeypatch.delenv("GATEWAY_JWT_PRIVATE_KEY_FILE", raising=False)
    with pytest.raises(RuntimeError, match="GATEWAY_JWT_PRIVATE_KEY"):
        GatewaySettings().private_key_pem()
    monkeypatch.setenv("GATEWAY_JWT_PRIVATE_KEY", private_pem)
    assert GatewaySettings().private_key_pem() == private_pem
    assert private_pem not in repr(GatewaySettings())  # an inline secret is never printed
    (tmp_path / "key.pem").write_text(private_pem)
    monkeypatch.setenv("GATEWAY_JWT_PRIVATE_KEY_FILE", str(tmp_path / "key.pem"))
    assert GatewaySettings().private_key_pem() == private_pem
