"""The gateway's settings, read by its code as `app[GATEWAY_SETTINGS]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from aiohttp import web
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from services.gateway.domain import Bucket, LoginThrottle
from shared.config import ServiceSettings


class GatewaySettings(ServiceSettings):
    service = "gateway"
    schema_name = "identity"

    port: int = Field(8080, validation_alias="GATEWAY_PORT", description="HTTP port of the gateway")
    jwt_private_key_file: Path | None = Field(
        None,
        validation_alias="GATEWAY_JWT_PRIVATE_KEY_FILE",
        description="PEM Ed25519 private key the gateway signs access tokens with",
    )
    jwt_private_key: SecretStr | None = Field(
        None,
        validation_alias="GATEWAY_JWT_PRIVATE_KEY",
        description="The same key inline (PEM), if no file is given",
    )
    token_lifetime_s: int = Field(
        900,
        ge=1,
        le=86400,
        validation_alias="GATEWAY_TOKEN_LIFETIME_S",
        description="Lifetime of an access token, in seconds (the storefront refreshes it "
        "silently; tests set a few seconds)",
    )
    makers_url: str = Field(
        "http://127.0.0.1:8082",
        validation_alias="GATEWAY_MAKERS_URL",
        description="Base URL of the makers service (several, comma-separated: requests go to each in turn)",
    )
    catalogue_url: str = Field(
        "http://127.0.0.1:8081",
        validation_alias="GATEWAY_CATALOGUE_URL",
        description="Base URL of the catalogue service (several, comma-separated: requests go to "
        "each in turn)",
    )
    orders_url: str = Field(
        "http://127.0.0.1:8083",
        validation_alias="GATEWAY_ORDERS_URL",
        description="Base URL of the orders service (several, comma-separated: requests go to each in turn)",
    )
    media_url: str = Field(
        "http://127.0.0.1:8084",
        validation_alias="GATEWAY_MEDIA_URL",
        description="Base URL of the media service (several, comma-separated: requests go to each in turn)",
    )
    notifications_url: str = Field(
        "http://127.0.0.1:8085",
        validation_alias="GATEWAY_NOTIFICATIONS_URL",
        description="Base URL of the notifications service (several, comma-separated: requests go to "
        "each in turn)",
    )
    reviews_url: str = Field(
        "http://127.0.0.1:8086",
        validation_alias="GATEWAY_REVIEWS_URL",
        description="Base URL of the reviews service (several, comma-separated: requests go to each in turn)",
    )
    upload_max_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1,
        validation_alias="GATEWAY_UPLOAD_MAX_BYTES",
        description="Largest photo upload (POST /api/v1/images) the gateway streams on to media; "
        "every other request body keeps MARKET_MAX_BODY_BYTES",
    )
    upload_timeout_s: float = Field(
        300.0,
        gt=0,
        validation_alias="GATEWAY_UPLOAD_TIMEOUT_S",
        description="Longest a photo upload may take through the gateway, the client's sending "
        "included, before 503",
    )
    upstream_timeout_s: float = Field(
        30.0,
        gt=0,
        validation_alias="GATEWAY_UPSTREAM_TIMEOUT_S",
        description="Longest a forwarded request may take, answer included, before 503",
    )
    upstream_connect_timeout_s: float = Field(
        3.0,
        gt=0,
        validation_alias="GATEWAY_UPSTREAM_CONNECT_TIMEOUT_S",
        description="Longest connecting to a service may take before 503",
    )
    upstream_max_connections: int = Field(
        100,
        ge=1,
        validation_alias="GATEWAY_UPSTREAM_MAX_CONNECTIONS",
        description="Pooled connections to each service, at most",
    )
    rate_limit_per_s: float = Field(
        20.0,
        gt=0,
        validation_alias="GATEWAY_RATE_LIMIT_PER_S",
        description="API requests per second one client address may make, sustained, across every "
        "gateway instance (static files and photos never count)",
    )
    rate_limit_burst: int = Field(
        100,
        ge=1,
        validation_alias="GATEWAY_RATE_LIMIT_BURST",
        description="API requests one client address may make at once, across every gateway instance",
    )
    login_account_burst: int = Field(
        10,
        ge=1,
        validation_alias="GATEWAY_LOGIN_ACCOUNT_BURST",
        description="Failed sign-ins one account may take in a row before 429",
    )
    login_account_per_minute: float = Field(
        1.0,
        gt=0,
        validation_alias="GATEWAY_LOGIN_ACCOUNT_PER_MINUTE",
        description="Sign-in attempts per minute one account regains after that",
    )
    login_address_burst: int = Field(
        30,
        ge=1,
        validation_alias="GATEWAY_LOGIN_ADDRESS_BURST",
        description="Sign-in attempts one client address may make in a row before 429",
    )
    login_address_per_minute: float = Field(
        30.0,
        gt=0,
        validation_alias="GATEWAY_LOGIN_ADDRESS_PER_MINUTE",
        description="Sign-in attempts per minute one client address regains after that",
    )
    password_hash_concurrency: int = Field(
        2,
        ge=1,
        validation_alias="GATEWAY_PASSWORD_HASH_CONCURRENCY",
        description="Password hashes computed at once (64 MiB each); others wait their turn",
    )
    trusted_proxy_hops: int = Field(
        0,
        ge=0,
        validation_alias="GATEWAY_TRUSTED_PROXY_HOPS",
        description="Reverse proxies in front of the gateway whose X-Forwarded-For entries are "
        "trusted for the client address (0: the peer address is the client)",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        [],
        validation_alias="GATEWAY_CORS_ORIGINS",
        description="Origins allowed to call the API from a browser: comma-separated or a "
        "JSON list; `*` for any",
    )
    openapi_ttl_s: float = Field(
        30.0,
        ge=0,
        validation_alias="GATEWAY_OPENAPI_TTL_S",
        description="How long the merged /openapi.json is cached before the services' "
        "documents are fetched again",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _list_of_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            return (
                json.loads(text)
                if text.startswith("[")
                else [part.strip() for part in text.split(",") if part.strip()]
            )
        return value

    def private_key_pem(self) -> str:
        if self.jwt_private_key_file:
            return self.jwt_private_key_file.read_text()
        if self.jwt_private_key:
            return self.jwt_private_key.get_secret_value()
        raise RuntimeError(
            "The gateway signs tokens: set GATEWAY_JWT_PRIVATE_KEY_FILE or GATEWAY_JWT_PRIVATE_KEY"
        )

    def login_throttle(self) -> LoginThrottle:
        return LoginThrottle(
            account=Bucket(self.login_account_burst, self.login_account_per_minute),
            address=Bucket(self.login_address_burst, self.login_address_per_minute),
        )


GATEWAY_SETTINGS = web.AppKey("gateway_settings", GatewaySettings)
