"""Wiring of the gateway: the storefront's single entry, and the identity schema."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, cast

import aiohttp
from aiohttp import web
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from services.gateway import edge, proxy, store
from services.gateway.accounts import Passwords
from services.gateway.api import ISSUER, LOGIN_THROTTLE, PASSWORDS, routes
from services.gateway.domain import Bucket, LoginThrottle
from shared.auth import TokenIssuer
from shared.config import ServiceSettings
from shared.errors import ProblemError
from shared.http import POOL, ROUTES, SETTINGS, VERIFIER, Routes, openapi_document
from shared.service import PeriodicJob, ServiceDefinition

TITLE = "Marketplace API"


class GatewaySettings(ServiceSettings):
    service = "gateway"
    schema_name = "identity"

    port: int = Field(8080, validation_alias="GATEWAY_PORT", description="HTTP port of the gateway")
    jwt_private_key_file: Path | None = Field(
        None, validation_alias="GATEWAY_JWT_PRIVATE_KEY_FILE",
        description="PEM Ed25519 private key the gateway signs access tokens with")
    jwt_private_key: SecretStr | None = Field(
        None, validation_alias="GATEWAY_JWT_PRIVATE_KEY",
        description="The same key inline (PEM), if no file is given")
    token_lifetime_s: int = Field(
        900, ge=60, le=86400, validation_alias="GATEWAY_TOKEN_LIFETIME_S",
        description="Lifetime of an access token, in seconds")
    makers_url: str = Field("http://127.0.0.1:8082", validation_alias="GATEWAY_MAKERS_URL",
                            description="Base URL of the makers service (several, comma-separated: requests go to each in turn)")
    catalogue_url: str = Field("http://127.0.0.1:8081", validation_alias="GATEWAY_CATALOGUE_URL",
                               description="Base URL of the catalogue service (several, comma-separated: requests go to each in turn)")
    orders_url: str = Field("http://127.0.0.1:8083", validation_alias="GATEWAY_ORDERS_URL",
                            description="Base URL of the orders service (several, comma-separated: requests go to each in turn)")
    upstream_timeout_s: float = Field(
        30.0, gt=0, validation_alias="GATEWAY_UPSTREAM_TIMEOUT_S",
        description="Longest a forwarded request may take, answer included, before 503")
    upstream_connect_timeout_s: float = Field(
        3.0, gt=0, validation_alias="GATEWAY_UPSTREAM_CONNECT_TIMEOUT_S",
        description="Longest connecting to a service may take before 503")
    upstream_max_connections: int = Field(
        100, ge=1, validation_alias="GATEWAY_UPSTREAM_MAX_CONNECTIONS",
        description="Pooled connections to each service, at most")
    rate_limit_per_s: float = Field(
        20.0, gt=0, validation_alias="GATEWAY_RATE_LIMIT_PER_S",
        description="Requests per second one client address may make, sustained (per instance)")
    rate_limit_burst: int = Field(
        100, ge=1, validation_alias="GATEWAY_RATE_LIMIT_BURST",
        description="Requests one client address may make at once (per instance)")
    login_account_burst: int = Field(
        10, ge=1, validation_alias="GATEWAY_LOGIN_ACCOUNT_BURST",
        description="Failed sign-ins one account may take in a row before 429")
    login_account_per_minute: float = Field(
        1.0, gt=0, validation_alias="GATEWAY_LOGIN_ACCOUNT_PER_MINUTE",
        description="Sign-in attempts per minute one account regains after that")
    login_address_burst: int = Field(
        30, ge=1, validation_alias="GATEWAY_LOGIN_ADDRESS_BURST",
        description="Sign-in attempts one client address may make in a row before 429")
    login_address_per_minute: float = Field(
        30.0, gt=0, validation_alias="GATEWAY_LOGIN_ADDRESS_PER_MINUTE",
        description="Sign-in attempts per minute one client address regains after that")
    password_hash_concurrency: int = Field(
        2, ge=1, validation_alias="GATEWAY_PASSWORD_HASH_CONCURRENCY",
        description="Password hashes computed at once (64 MiB each); others wait their turn")
    trusted_proxy_hops: int = Field(
        0, ge=0, validation_alias="GATEWAY_TRUSTED_PROXY_HOPS",
        description="Reverse proxies in front of the gateway whose X-Forwarded-For entries are "
                    "trusted for the client address (0: the peer address is the client)")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        [], validation_alias="GATEWAY_CORS_ORIGINS",
        description="Origins allowed to call the API from a browser: comma-separated or a "
                    "JSON list; `*` for any")
    openapi_ttl_s: float = Field(
        30.0, ge=0, validation_alias="GATEWAY_OPENAPI_TTL_S",
        description="How long the merged /openapi.json is cached before the services' "
                    "documents are fetched again")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _list_of_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [
                part.strip() for part in text.split(",") if part.strip()]
        return value

    def private_key_pem(self) -> str:
        if self.jwt_private_key_file:
            return self.jwt_private_key_file.read_text()
        if self.jwt_private_key:
            return self.jwt_private_key.get_secret_value()
        raise RuntimeError(
            "The gateway signs tokens: set GATEWAY_JWT_PRIVATE_KEY_FILE or GATEWAY_JWT_PRIVATE_KEY")

    def login_throttle(self) -> LoginThrottle:
        return LoginThrottle(
            account=Bucket(self.login_account_burst, self.login_account_per_minute),
            address=Bucket(self.login_address_burst, self.login_address_per_minute),
        )


def _settings(app: web.Application) -> GatewaySettings:
    return cast(GatewaySettings, app[SETTINGS])


class EntryPoint(Routes):
    """The gateway's part of the app beyond its own API routes: the edge (rate limit, CORS),
    forwarding to the services, the merged OpenAPI document, and the storefront at `/`.

    A route registry because the runtime installs registries while the app is still open to
    change, and middlewares, signals and plain routes can only be added then. Listed last:
    the storefront's catch-all route must come after every other route."""

    def install(self, app: web.Application) -> None:
        settings = _settings(app)
        app[edge.TRUSTED_PROXY_HOPS] = settings.trusted_proxy_hops
        app[edge.RATE_LIMITER] = edge.RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
        app[edge.CORS] = cors = edge.Cors(settings.cors_origins)
        app.middlewares.extend([edge.rate_limit, edge.cors_preflight, proxy.merged_openapi])
        app.on_response_prepare.append(cors.on_response_prepare)
        app.router.add_get("/health/upstreams", proxy.upstream_health)
        app.router.add_route("*", proxy.PROXY_PATH, proxy.proxy)
        app.router.add_get("/{tail:.*}", edge.storefront)


async def _accounts(app: web.Application) -> AsyncIterator[None]:
    settings = _settings(app)
    issuer = TokenIssuer(settings.private_key_pem(), settings.jwt_issuer, settings.jwt_audience,
                         settings.token_lifetime_s)
    # Fail at start, not at every request, when the public key the services verify with is
    # not this private key's.
    try:
        app[VERIFIER].verify(issuer.issue(uuid.uuid4(), "customer"))
    except ProblemError as exc:
        raise RuntimeError(f"Tokens the gateway signs do not verify: {exc.detail}; is "
                           "MARKET_JWT_PUBLIC_KEY(_FILE) the public half of the gateway's key?") from None
    app[ISSUER] = issuer
    app[PASSWORDS] = Passwords(settings.password_hash_concurrency)
    app[LOGIN_THROTTLE] = settings.login_throttle()
    yield


async def _upstreams(app: web.Application) -> AsyncIterator[None]:
    settings = _settings(app)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=settings.upstream_max_connections),
        timeout=aiohttp.ClientTimeout(total=settings.upstream_timeout_s,
                                      sock_connect=settings.upstream_connect_timeout_s),
        # Bytes pass through as the service sent them (Content-Encoding and Content-Length
        # included), and no cookie of one client is ever kept for another.
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
    )
    upstreams = proxy.Upstreams(
        {"makers": settings.makers_url, "catalogue": settings.catalogue_url,
         "orders": settings.orders_url},
        session, probe_timeout_s=min(2.0, settings.upstream_timeout_s),
    )
    app[proxy.UPSTREAMS] = upstreams
    app[proxy.API_DOCUMENT] = proxy.ApiDocument(
        TITLE, upstreams, lambda: openapi_document(TITLE, app[ROUTES]), settings.openapi_ttl_s)
    yield
    await session.close()


async def _sweep_login_throttle(app: web.Application) -> None:
    await store.sweep_login_throttle(app[POOL], _settings(app).login_throttle().idle_s)


SERVICE = ServiceDefinition(
    name="gateway",
    title=TITLE,
    settings_cls=GatewaySettings,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes, EntryPoint("gateway")],
    contexts=[_accounts, _upstreams],
    jobs=[PeriodicJob("sweep-login-throttle", 300.0, _sweep_login_throttle)],
    uses_bus=False,
)
