"""What the gateway does at the edge, before and around routing: who the client is, the
per-address API limit, CORS, and the storefront's static files.

The API limit is a token bucket per client address kept in PostgreSQL (store.take_tokens, the
mechanism the sign-in throttle uses too), so every gateway instance draws from the same bucket
and N instances allow the configured rate, not N times it. Only the API counts: the storefront's
files, photo renditions, probes and scrapes never take a token.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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


# --- the per-address API limit -------------------------------------------------------------------

# take(address, wanted) -> (tokens taken, seconds until one is there when none were)
TakeTokens = Callable[[str, int], Awaitable[tuple[int, float]]]


@dataclass
class _Lease:
    tokens: int = 0
    until: float = 0.0  # the leased tokens lapse then
    refused_until: float = 0.0  # the shared bucket was empty: refuse here until it refills
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ApiLimit:
    """The per-address API limit over the shared buckets, with a local lease: one round trip
    takes up to `lease` tokens, which this instance spends for at most `lease_ttl_s`; a busy
    address costs one query per `lease` requests, and one the bucket refused is refused here
    until the bucket would hold a token again, at no query at all.

    Precision: leased tokens come out of the shared bucket, so the instances together never
    allow more than the configured burst and rate. Tokens an instance leased and did not spend
    lapse with the lease, so an address may be refused up to (lease - 1) requests per instance
    early: the limit errs on the strict side by at most that."""

    SWEEP_EVERY_S = 60.0

    def __init__(
        self,
        take: TakeTokens,
        lease: int,
        lease_ttl_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._take = take
        self._lease = max(1, lease)
        self._ttl = lease_ttl_s
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._swept_at = clock()

    async def take(self, address: str) -> float:
        """Take a token: 0 when taken, else the seconds until one is there."""
        lease = self._leases.setdefault(address, _Lease())
        # One round trip per address at a time; requests arriving meanwhile spend its lease.
        async with lease.lock:
            now = self._clock()
            if now < lease.refused_until:
                return lease.refused_until - now
            if not (lease.tokens and now < lease.until):
                granted, wait_s = await self._take(address, self._lease)
                now = self._clock()
                if not granted:
                    lease.tokens, lease.refused_until = 0, now + wait_s
                    return wait_s
                lease.tokens, lease.until = granted, now + self._ttl
            lease.tokens -= 1
        if now - self._swept_at > self.SWEEP_EVERY_S:
            self._sweep(now)
        return 0.0

    def __len__(self) -> int:
        return len(self._leases)

    def _sweep(self, now: float) -> None:
        """Forget lapsed leases, so memory follows active clients."""
        self._leases = {
            k: v for k, v in self._leases.items() if v.lock.locked() or now < max(v.until, v.refused_until)
        }
        self._swept_at = now


API_LIMIT = web.AppKey("api_limit", ApiLimit)


def counts_against_the_limit(path: str) -> bool:
    """The API (and its document) only: files, renditions, probes and scrapes are free."""
    return path.startswith("/api/") or path == "/openapi.json"


@web.middleware
async def rate_limit(request: web.Request, handler: Any) -> web.StreamResponse:
    if counts_against_the_limit(request.path):
        wait_s = await request.app[API_LIMIT].take(client_address(request))
        if wait_s:
            seconds = ceil(wait_s)
            raise too_many_requests(
                seconds,
                f"Too many requests from your address; try again in {seconds} second{'s' * (seconds != 1)}",
            )
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

IMMUTABLE = "public, max-age=31536000, immutable"
_CSP = (
    "default-src 'self'; script-src 'self' {import_map}; style-src 'self'; "
    "img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
_LINKED = re.compile(r'(?P<attr>\b(?:src|href))="(?P<path>/[^"]*)"')


class Storefront:
    """The storefront's files, fingerprinted once at start: each is also served under a name
    carrying a hash of its content (/js/app.js as /js/app.<hash>.js), from memory and cached
    for a year (`immutable`), so a browser fetches a file again only when it changed.

    index.html, served `no-cache` for every page path, names the fingerprinted entry files,
    and an import map sends each module's plain URL to its fingerprinted one, so the modules'
    own imports (relative, unhashed: no build step) resolve to fingerprinted URLs too. The map
    is inline, so the CSP allows exactly it by its hash. The plain names still answer, `no-cache`,
    for whatever links to them (an old page, a bookmark). A file changed on disk is seen at the
    next start."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        self.root = root
        self.fingerprinted: dict[str, str] = {}  # /js/app.js -> /js/app.<hash>.js
        self._bodies: dict[str, tuple[bytes, str]] = {}  # fingerprinted path -> (body, type)
        for file in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "index.html"):
            body = file.read_bytes()
            plain = "/" + file.relative_to(root).as_posix()
            stem, _, extension = plain.rpartition(".")
            hashed = f"{stem}.{hashlib.sha256(body).hexdigest()[:12]}.{extension}"
            self.fingerprinted[plain] = hashed
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            self._bodies[hashed] = (body, content_type)
        import_map = json.dumps(
            {"imports": {p: h for p, h in self.fingerprinted.items() if p.endswith(".js")}},
            separators=(",", ":"),
        )
        digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
        self.page_headers = {
            "Cache-Control": "no-cache",
            "Content-Security-Policy": _CSP.format(import_map=f"'sha256-{digest}'"),
            **_SECURITY_HEADERS,
        }
        self.asset_headers = {**self.page_headers, "Cache-Control": IMMUTABLE}
        page = _LINKED.sub(self._link, (root / "index.html").read_text())
        # The map must come before the first module script it applies to.
        first_script = page.index("<script")
        self.index_html = (
            page[:first_script] + f'<script type="importmap">{import_map}</script>\n  ' + page[first_script:]
        ).encode()
        # Revalidated on every page load (no-cache): a 304 spares sending it again.
        self.index_etag = f'"{hashlib.sha256(self.index_html).hexdigest()[:16]}"'

    def _link(self, match: re.Match[str]) -> str:
        path = match["path"]
        return f'{match["attr"]}="{self.fingerprinted.get(path, path)}"'

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """The storefront's files; every other page path gets index.html, so deep links
        (/listings/{id}, /orders/{id}, /maker, /ops, ...) work on reload."""
        tail = request.match_info["tail"]
        if tail == "api" or tail.startswith("api/"):
            raise not_found("API path")  # an unknown API path is a problem, never a page
        fingerprinted = self._bodies.get("/" + tail)
        if fingerprinted is not None:
            body, content_type = fingerprinted
            return web.Response(body=body, content_type=content_type, headers=self.asset_headers)
        file = (self.root / tail).resolve()
        if tail and tail != "index.html" and file.is_relative_to(self.root) and file.is_file():
            return web.FileResponse(file, headers=self.page_headers)
        if "." in tail.rsplit("/", 1)[-1] and tail != "index.html":
            raise not_found("File")  # a missing asset is a 404, not the page
        headers = {**self.page_headers, "ETag": self.index_etag}
        if self.index_etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(body=self.index_html, content_type="text/html", headers=headers)


STOREFRONT = web.AppKey("storefront", Storefront)


async def storefront(request: web.Request) -> web.StreamResponse:
    return await request.app[STOREFRONT].serve(request)
