"""What the gateway does at the edge, before and around routing: who the client is, the
per-client rate limit, CORS, and the storefront's static files.

The rate limit is a token bucket per client address kept in this process's memory, unlike the
sign-in throttle (in the identity schema): it is checked on every request, where a database
round trip would add latency and load to everything, and an approximate limit is good enough
for it; with N gateway instances behind a balancer a client gets at most N times the rate. The
sign-in throttle guards passwords, so it must hold exactly across instances, and a sign-in
costs a database query and a password hash anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from math import ceil
from pathlib import Path
from typing import Any

from aiohttp import web

from shared.errors import ProblemError, not_found, too_many_requests

STATIC_DIR = (Path(__file__).parent / "static").resolve()

TRUSTED_PROXY_HOPS = web.AppKey("trusted_proxy_hops", int)


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or with N trusted proxies in front, the address the
    outermost of them saw (the Nth entry from the right of X-Forwarded-For; entries further
    left are whatever the client claimed)."""
    hops = request.app[TRUSTED_PROXY_HOPS]
    if hops:
        forwarded = [
            part.strip()
            for value in request.headers.getall("X-Forwarded-For", [])
            for part in value.split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops][:100]
    return request.remote or "unknown"


# --- the per-client rate limit -------------------------------------------------------------------


class RateLimiter:
    """A token bucket per key: `burst` requests at once, refilled at `per_second`."""

    SWEEP_EVERY_S = 60.0

    def __init__(self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._swept_at = clock()

    def take(self, key: str) -> float:
        """Take a token: 0 when taken, else the seconds until one is there."""
        now = self._clock()
        tokens = self._level(key, now)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self._rate
        self._buckets[key] = (tokens - 1, now)
        if now - self._swept_at > self.SWEEP_EVERY_S:
            self._sweep(now)
        return 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self._burst, now))
        return min(self._burst, tokens + (now - at) * self._rate)

    def _sweep(self, now: float) -> None:
        """Forget full buckets (a missing one is full), so memory follows active clients."""
        self._buckets = {k: v for k, v in self._buckets.items() if self._level(k, now) < self._burst}
        self._swept_at = now


RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)

# Probes and scrapes come from the platform, not from clients. Photo renditions are immutable
# files a page loads dozens of at once (what a CDN would serve); the limit guards the API.
_UNLIMITED = ("/health/", "/metrics", "/media/")


@web.middleware
async def rate_limit(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith(_UNLIMITED):
        wait_s = request.app[RATE_LIMITER].take(client_address(request))
        if wait_s:
            raise too_many_requests(ceil(wait_s), "Rate limit exceeded; slow down")
    return await handler(request)


# --- CORS ----------------------------------------------------------------------------------------


class Cors:
    """Cross-origin access for the configured origins (`*`: any). Tokens travel in the
    Authorization header, not in cookies, so credentials are never allowed."""

    METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
    HEADERS = frozenset(
        {
            "authorization",
            "content-type",
            "idempotency-key",
            "x-request-id",
            "accept",
            "accept-language",
            "content-language",
        }
    )
    EXPOSED = "X-Request-ID, Retry-After, Idempotent-Replayed, Location"
    MAX_AGE_S = "600"

    def __init__(self, origins: list[str]) -> None:
        self._any = "*" in origins
        self._origins = frozenset(origin.rstrip("/") for origin in origins)

    def allows(self, origin: str | None) -> bool:
        return origin is not None and (self._any or origin in self._origins)

    def preflight(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin")
        if not self.allows(origin):
            raise ProblemError(403, "Forbidden", f"Origin {origin} is not allowed", code="cors_origin_denied")
        requested = {
            h.strip().lower()
            for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
            if h.strip()
        }
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": self.METHODS,
                "Access-Control-Allow-Headers": ", ".join(sorted(requested & self.HEADERS)),
                "Access-Control-Max-Age": self.MAX_AGE_S,
            },
        )

    async def on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        """Every response (errors and streamed bodies too) says who may read it."""
        origin = request.headers.get("Origin")
        if origin is None:
            return
        vary = response.headers.get("Vary")
        if "origin" not in (vary or "").lower():
            response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"
        if self.allows(origin):
            response.headers["Access-Control-Allow-Origin"] = "*" if self._any else origin
            response.headers["Access-Control-Expose-Headers"] = self.EXPOSED


CORS = web.AppKey("cors", Cors)


@web.middleware
async def cors_preflight(request: web.Request, handler: Any) -> web.StreamResponse:
    """Preflights are answered here, whatever the path; they never reach a service."""
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        return request.app[CORS].preflight(request)
    return await handler(request)


# --- the storefront ------------------------------------------------------------------------------


# The storefront has no inline script or style and talks only to this origin.
STOREFRONT_HEADERS = {
    # Files carry no content hash in their names: revalidate each, so a deploy never
    # leaves a browser with a mix of old and new modules.
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def storefront(request: web.Request) -> web.StreamResponse:
    """The storefront's files; every other page path gets index.html, so deep links
    (/listings/{id}, /orders/{id}, /maker, /ops, ...) work on reload."""
    tail = request.match_info["tail"]
    if tail == "api" or tail.startswith("api/"):
        raise not_found("API path")  # an unknown API path is a problem, never a page
    file = (STATIC_DIR / tail).resolve()
    if tail and file.is_relative_to(STATIC_DIR) and file.is_file():
        return web.FileResponse(file, headers=STOREFRONT_HEADERS)
    if "." in tail.rsplit("/", 1)[-1]:
        raise not_found("File")  # a missing asset is a 404, not the page
    return web.FileResponse(STATIC_DIR / "index.html", headers=STOREFRONT_HEADERS)
