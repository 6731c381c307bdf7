"""Wiring of the gateway: the storefront's single entry, and the identity schema. It publishes
identity events through its outbox (so it runs a relay) and consumes none."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from math import ceil
from pathlib import Path

import aiohttp
from aiohttp import web

from services.gateway import edge, proxy, sessions, store
from services.gateway.accounts import Passwords
from services.gateway.api import ISSUER, LOGIN_THROTTLE, PASSWORDS, RESET_REQUESTS, routes
from services.gateway.domain import Bucket
from services.gateway.email_links import ResetRequests
from services.gateway.settings import GATEWAY_SETTINGS, GatewaySettings
from shared.auth import TokenIssuer
from shared.errors import ProblemError
from shared.http import POOL, ROUTES, VERIFIER, Routes, openapi_document
from shared.service import PeriodicJob, ServiceDefinition

TITLE = "Marketplace API"


class EntryPoint(Routes):
    """The gateway's part of the app beyond its own API routes: the edge (rate limit, CORS),
    forwarding to the services (photo renditions at /media/ too), the merged OpenAPI document,
    and the storefront at `/`.

    A route registry because the runtime installs registries while the app is still open to
    change, and middlewares, signals and plain routes can only be added then. Listed last:
    the storefront's catch-all route must come after every other route."""

    def install(self, app: web.Application) -> None:
        settings = app[GATEWAY_SETTINGS]
        app[edge.TRUSTED_PROXY_HOPS] = settings.trusted_proxy_hops
        app[edge.API_LIMIT] = _api_limit(app)
        app[edge.STOREFRONT] = edge.Storefront()
        app[edge.CORS] = cors = edge.Cors(settings.cors_origins)
        app.middlewares.extend([edge.rate_limit, edge.cors_preflight, proxy.merged_openapi])
        app.on_response_prepare.append(cors.on_response_prepare)
        app.router.add_get("/health/upstreams", proxy.upstream_health)
        app.router.add_route("*", proxy.PROXY_PATH, proxy.proxy)
        app.router.add_get(proxy.MEDIA_PATH, proxy.media)
        app.router.add_get("/{tail:.*}", edge.storefront)


def _api_limit(app: web.Application) -> edge.ApiLimit:
    """The per-address API limit over the identity schema's shared buckets, leasing a quarter
    second's worth of the rate per round trip."""
    settings = app[GATEWAY_SETTINGS]
    bucket = Bucket(settings.rate_limit_burst, settings.rate_limit_per_s * 60)

    async def take(address: str, wanted: int) -> tuple[int, float]:
        return await store.take_tokens(app[POOL], f"api:{address}", bucket, wanted)

    return edge.ApiLimit(take, lease=min(settings.rate_limit_burst, ceil(settings.rate_limit_per_s / 4)))


async def _accounts(app: web.Application) -> AsyncIterator[None]:
    settings = app[GATEWAY_SETTINGS]
    issuer = TokenIssuer(
        settings.private_key_pem(), settings.jwt_issuer, settings.jwt_audience, settings.token_lifetime_s
    )
    # Fail at start, not at every request, when the public key the services verify with is
    # not this private key's.
    try:
        app[VERIFIER].verify(issuer.issue(uuid.uuid4(), "customer"))
    except ProblemError as exc:
        raise RuntimeError(
            f"Tokens the gateway signs do not verify: {exc.detail}; is "
            "MARKET_JWT_PUBLIC_KEY(_FILE) the public half of the gateway's key?"
        ) from None
    app[ISSUER] = issuer
    app[PASSWORDS] = Passwords(settings.password_hash_concurrency)
    app[LOGIN_THROTTLE] = settings.login_throttle()
    app[RESET_REQUESTS] = resets = ResetRequests(app[POOL], app[LOGIN_THROTTLE])
    task = asyncio.create_task(resets.run(), name="password-reset-requests")
    yield
    # Requests already answered 202 are carried out before the pool closes.
    await resets.drain()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _upstreams(app: web.Application) -> AsyncIterator[None]:
    settings = app[GATEWAY_SETTINGS]
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=settings.upstream_max_connections),
        timeout=aiohttp.ClientTimeout(
            total=settings.upstream_timeout_s, sock_connect=settings.upstream_connect_timeout_s
        ),
        # Bytes pass through as the service sent them (Content-Encoding and Content-Length
        # included), and no cookie of one client is ever kept for another.
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
    )
    upstreams = proxy.Upstreams(
        {
            "makers": settings.makers_url,
            "catalogue": settings.catalogue_url,
            "orders": settings.orders_url,
            "media": settings.media_url,
            "notifications": settings.notifications_url,
            "reviews": settings.reviews_url,
        },
        session,
        probe_timeout_s=min(2.0, settings.upstream_timeout_s),
        upload_timeout_s=settings.upload_timeout_s,
    )
    app[proxy.UPSTREAMS] = upstreams
    app[proxy.API_DOCUMENT] = proxy.ApiDocument(
        TITLE, upstreams, lambda: openapi_document(TITLE, app[ROUTES]), settings.openapi_ttl_s
    )
    yield
    await session.close()


async def _sweep_login_throttle(app: web.Application) -> None:
    await store.sweep_login_throttle(app[POOL], app[GATEWAY_SETTINGS].login_throttle().idle_s)


async def _sweep_expired_tokens(app: web.Application) -> None:
    await sessions.sweep(app[POOL])


SERVICE = ServiceDefinition(
    name="gateway",
    title=TITLE,
    settings_cls=GatewaySettings,
    settings_key=GATEWAY_SETTINGS,
    migrations=Path(__file__).parent / "migrations",
    routes=[routes, EntryPoint("gateway")],
    contexts=[_accounts, _upstreams],
    jobs=[
        PeriodicJob("sweep-login-throttle", 300.0, _sweep_login_throttle),
        PeriodicJob("sweep-expired-tokens", 3600.0, _sweep_expired_tokens),
    ],
)
