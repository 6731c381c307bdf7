"""One entry point: /api/v1/* forwarded to the service that owns it (and /media/* to media),
and one OpenAPI document for the whole public API.

Forwarding is faithful: method, path, query string and body as they came, end-to-end headers
both ways (Authorization included: each service verifies tokens itself), status and body as
the service answered, the body streamed back. Hop-by-hop headers stay on their hop. The
request id (the caller's when sane, else a new one) goes upstream as X-Request-ID, where the
service binds it as the correlation id of its logs and of the events the request causes.

Request bodies are small (MARKET_MAX_BODY_BYTES), read whole and refused with 413 before any
service sees them, except a photo upload: up to GATEWAY_UPLOAD_MAX_BYTES, it is streamed on
to media as it arrives, so a gateway never holds a 20 MB body, and broken off (413) the moment
it passes its limit.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from services.gateway.settings import GATEWAY_SETTINGS
from shared import tracing
from shared.errors import ProblemError, not_found
from shared.http import SETTINGS, json_response
from shared.logging import current_context, get_logger

log = get_logger()

# The first path segment after /api/v1/ names the owner; under /api/v1/me/ (what the caller
# keeps about themself), the first two do. /api/v1/auth/* is the gateway's own.
OWNERS: dict[str, str] = {
    "me/addresses": "orders",
    "me/favourites": "catalogue",
    "makers": "makers",
    "listings": "catalogue",
    "orders": "orders",
    "maker-orders": "orders",
    "payouts": "orders",
    "payout-runs": "orders",
    "commissions": "orders",
    "conversations": "orders",
    "returns": "orders",
    "images": "media",
    "notifications": "notifications",
    "reviews": "reviews",
}
SERVICES = ("makers", "catalogue", "orders", "media", "notifications", "reviews")
PROXY_PATH = "/api/v1/{segment:" + "|".join(OWNERS) + "}{tail:(?:/.*)?}"
# Photo renditions: public, immutable bytes, served by media.
MEDIA_PATH = "/media/{key:.+}"
# The one request whose body is streamed rather than read whole.
UPLOAD = ("POST", "/api/v1/images")

# RFC 9110 §7.6.1, and Proxy-Connection which old clients still send. Host and Content-Length
# are set by the client library for the hop to the service; Expect was already answered here;
# X-Request-ID is replaced by the request's id (the caller's only when it was sane).
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length", "expect", "x-request-id"}


def end_to_end(headers: Any, drop: frozenset[str] = _HOP_BY_HOP) -> CIMultiDict[str]:
    """The headers meant for the far end: without hop-by-hop ones, nor any the Connection
    header names as such."""
    named = {
        token.strip().lower() for value in headers.getall("Connection", []) for token in value.split(",")
    }
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in drop and k.lower() not in named)


def owner(path: str) -> str | None:
    """The service that owns a public path ("gateway" for the gateway's own /api/v1/auth)."""
    if path.startswith("/media/"):
        return "media"
    if not path.startswith("/api/v1/"):
        return None
    parts = path.removeprefix("/api/v1/").split("/", 2)
    segment = "/".join(parts[:2]) if parts[0] == "me" else parts[0]
    return "gateway" if segment == "auth" else OWNERS.get(segment)


class Upstreams:
    """The services behind the gateway, over one pooled client session. A service may run
    as several API instances (its URL setting a comma-separated list): requests go to them
    in turn, and one that refuses the connection is passed over for the next."""

    def __init__(
        self,
        urls: dict[str, str],
        session: aiohttp.ClientSession,
        probe_timeout_s: float,
        upload_timeout_s: float,
    ) -> None:
        self.instances = {
            name: [URL(u.strip().rstrip("/")) for u in url.split(",") if u.strip()]
            for name, url in urls.items()
        }
        self._turns = {name: itertools.count() for name in self.instances}
        self.session = session
        self._probe = aiohttp.ClientTimeout(total=probe_timeout_s)
        # An upload lasts as long as the client takes to send it: 20 MB over a slow line is
        # minutes, not the seconds an API answer gets.
        self._upload = aiohttp.ClientTimeout(
            total=upload_timeout_s, sock_connect=session.timeout.sock_connect
        )

    def _rotation(self, service: str) -> list[URL]:
        """The instances of a service, starting from the next one's turn."""
        instances = self.instances[service]
        start = next(self._turns[service]) % len(instances)
        return instances[start:] + instances[:start]

    async def forward(self, request: web.Request, service: str) -> web.StreamResponse:
        headers = end_to_end(request.headers, _NOT_FORWARDED)
        body: bytes | _Upload
        if (request.method, request.path) == UPLOAD:
            body = _Upload(request, request.app[GATEWAY_SETTINGS].upload_max_bytes)
            if request.content_length is not None:
                headers["Content-Length"] = str(request.content_length)
        else:
            body = await _read_body(request)
        request_id = str(current_context()["request_id"])
        headers["X-Request-ID"] = request_id
        headers.add("X-Forwarded-For", request.remote or "unknown")
        # The path exactly as it came (still percent-encoded), so the service sees what the
        # client sent.
        upstream = await self._send(request.method, service, request.raw_path, headers, body)
        async with upstream:
            answer_headers = end_to_end(upstream.headers)
            answer_headers["X-Request-ID"] = request_id
            length = upstream.content_length
            if request.method != "HEAD" and length is not None and length <= _BUFFERED_MAX:
                # A small answer (most are) is read whole: one that breaks off is still a
                # clean 503 problem, and it goes out with its headers in one write. Larger or
                # unsized ones are streamed.
                try:
                    answer = await upstream.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    log.warning("upstream_answer_broken", service=service, error=repr(exc))
                    raise _unavailable(service) from None
                del answer_headers["Content-Length"]  # set again for the body sent
                return web.Response(
                    status=upstream.status, reason=upstream.reason, headers=answer_headers, body=answer
                )
            response = web.StreamResponse(
                status=upstream.status, reason=upstream.reason, headers=answer_headers
            )
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_chunked(64 * 1024):
                    await response.write(chunk)
            except (aiohttp.ClientError, TimeoutError, ConnectionResetError) as exc:
                # Too late for a problem response: the status is sent. Closing the connection
                # tells the client the body is incomplete.
                log.warning("upstream_stream_broken", service=service, error=repr(exc))
                if request.transport is not None:
                    request.transport.close()
                return response
            await response.write_eof()
            return response

    async def _send(
        self, method: str, service: str, raw_path: str, headers: CIMultiDict[str], body: bytes | _Upload
    ) -> aiohttp.ClientResponse:
        failure: Exception | None = None
        for base in self._rotation(service):
            target = URL(str(base) + raw_path, encoded=True)
            try:
                with tracing.client_span(method, service, str(target), headers) as span:
                    response = await self.session.request(
                        method,
                        target,
                        headers=headers,
                        # An upload's chunks are only read once connected, so the next instance
                        # can still take them when one refuses the connection.
                        data=body.chunks() if isinstance(body, _Upload) else body or None,
                        allow_redirects=False,
                        timeout=self._upload if isinstance(body, _Upload) else self.session.timeout,
                        # Send only what the client sent: no default Accept, User-Agent, etc.
                        skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
                    )
                    span.set_attribute("http.response.status_code", response.status)
                    return response
            except aiohttp.ClientConnectorError as exc:
                failure = exc  # nothing was sent: another instance may take it
            except (aiohttp.ClientError, TimeoutError) as exc:
                if isinstance(body, _Upload) and body.too_large:
                    raise _too_large(body.limit) from None  # broken off here, on purpose
                failure = exc  # it may have been received: never send it twice
                break
        log.warning("upstream_unavailable", service=service, error=repr(failure))
        raise _unavailable(service)

    async def fetch_json(self, service: str, path: str) -> Any:
        base = self._rotation(service)[0]
        async with self.session.get(base.with_path(path), timeout=self._probe) as r:
            r.raise_for_status()
            return await r.json()


_BUFFERED_MAX = 256 * 1024


def _unavailable(service: str) -> ProblemError:
    return ProblemError(
        503,
        "Service unavailable",
        f"The {service} service is not answering; try again shortly",
        code="service_unavailable",
        headers={"Retry-After": "5"},
    )


def _too_large(limit: int) -> ProblemError:
    return ProblemError(413, "Payload too large", f"The body exceeds {limit} bytes", code="payload_too_large")


async def _read_body(request: web.Request) -> bytes:
    """The body, within the size limit (413): read whole (it is small by that limit) so a
    request is refused before anything reaches a service."""
    limit = request.app[SETTINGS].max_body_bytes
    if (request.content_length or 0) > limit:
        raise _too_large(limit)
    return await request.read()  # also 413 (client_max_size) for a longer chunked body


class _Upload:
    """A body passed on chunk by chunk as it arrives, never held whole. A declared length over
    the limit is refused before a byte is read; an undeclared one is broken off as soon as it
    passes the limit, so the service sees an incomplete body and keeps nothing. (What the
    client still sends after the 413 is read and dropped by the server for a few seconds, so
    the client gets to read the answer.)"""

    def __init__(self, request: web.Request, limit: int) -> None:
        if (request.content_length or 0) > limit:
            raise _too_large(limit)
        self._content = request.content
        self.limit = limit
        self.too_large = False

    async def chunks(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self._content.iter_any():
            received += len(chunk)
            if received > self.limit:
                self.too_large = True
                raise _too_large(self.limit)
            yield chunk


UPSTREAMS = web.AppKey("upstreams", Upstreams)


async def proxy(request: web.Request) -> web.StreamResponse:
    _no_dot_segments(request)
    return await request.app[UPSTREAMS].forward(request, OWNERS[request.match_info["segment"]])


async def media(request: web.Request) -> web.StreamResponse:
    """A photo rendition, passed through as media serves it: its Cache-Control, ETag and 304
    included. Nothing is kept here: renditions are immutable, so the front door (or a CDN)
    caches them. The rate limit never sees these (edge.rate_limit)."""
    _no_dot_segments(request)
    return await request.app[UPSTREAMS].forward(request, "media")


def _no_dot_segments(request: web.Request) -> None:
    # Dot segments would be resolved on the way (by the client library or the service) into
    # a path that was not routed here; no public path has them.
    if any(part in (".", "..") for part in request.path.split("/")):
        raise not_found()


async def upstream_health(request: web.Request) -> web.Response:
    """Readiness of every service behind the gateway: 200 when all are ready, else 503. Kept
    apart from the gateway's own /health/ready, so an orchestrator does not take the entry
    point out of service because one service behind it is down."""
    upstreams = request.app[UPSTREAMS]

    async def probe(service: str) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await upstreams.fetch_json(service, "/health/ready")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return {"status": "unavailable", "error": type(exc).__name__}
        return {"status": "ready", "ms": round((time.perf_counter() - started) * 1000, 1)}

    results = dict(zip(SERVICES, await asyncio.gather(*(probe(s) for s in SERVICES)), strict=True))
    ready = all(r["status"] == "ready" for r in results.values())
    return json_response(
        {"status": "ready" if ready else "degraded", "upstreams": results}, status=200 if ready else 503
    )


# --- the OpenAPI document of the whole API -------------------------------------------------------


def merge_documents(title: str, documents: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
    """One document from the gateway's and each service's: the /api/v1 paths each owns, and
    their components. A schema name two services use for different schemas is prefixed with
    the second one's name (and its references rewritten). A service without a document (None)
    is left out, and the document says so."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "The marketplace's public API, served by the gateway.",
        },
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {}},
    }
    schemas = merged["components"]["schemas"]
    missing = [service for service, document in documents.items() if document is None]
    for service, document in documents.items():
        if document is None:
            continue
        components = document.get("components", {})
        renamed = {
            name: f"{service.capitalize()}{name}"
            for name, schema in components.get("schemas", {}).items()
            if name in schemas and schemas[name] != schema
        }
        document = _rename_refs(document, renamed) if renamed else document
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            schemas[renamed.get(name, name)] = schema
        merged["components"]["securitySchemes"].update(components.get("securitySchemes", {}))
        for path, operations in document.get("paths", {}).items():
            if owner(path) == service:
                merged["paths"][path] = operations
    if missing:
        merged["info"]["description"] += (
            f" Not included (unavailable when this was generated): {', '.join(missing)}."
        )
        merged["info"]["x-unavailable-services"] = missing
    return merged


def _rename_refs(value: Any, renamed: dict[str, str]) -> Any:
    prefix = "#/components/schemas/"
    if isinstance(value, dict):
        return {
            k: (
                prefix + renamed.get(v.removeprefix(prefix), v.removeprefix(prefix))
                if k == "$ref" and isinstance(v, str) and v.startswith(prefix)
                else _rename_refs(v, renamed)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_rename_refs(v, renamed) for v in value]
    return value


class ApiDocument:
    """The merged document, rebuilt at most once per `ttl_s` (one rebuild at a time)."""

    def __init__(
        self, title: str, upstreams: Upstreams, own: Callable[[], dict[str, Any]], ttl_s: float
    ) -> None:
        self._title = title
        self._upstreams = upstreams
        self._own = own
        self._ttl_s = ttl_s
        self._lock = asyncio.Lock()
        self._document: dict[str, Any] | None = None
        self._built_at = 0.0

    async def get(self) -> dict[str, Any]:
        async with self._lock:
            if self._document is None or time.monotonic() - self._built_at > self._ttl_s:
                fetched = await asyncio.gather(*(self._fetch(s) for s in SERVICES))
                self._document = merge_documents(
                    self._title, {"gateway": self._own(), **dict(zip(SERVICES, fetched, strict=True))}
                )
                self._built_at = time.monotonic()
            return self._document

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        try:
            return await self._upstreams.fetch_json(service, "/openapi.json")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("openapi_unavailable", service=service, error=repr(exc))
            return None


API_DOCUMENT = web.AppKey("api_document", ApiDocument)


@web.middleware
async def merged_openapi(request: web.Request, handler: Any) -> web.StreamResponse:
    """The runtime serves /openapi.json from a process's own routes; the gateway's answers
    for the whole public API instead."""
    if request.path == "/openapi.json" and request.method in ("GET", "HEAD"):
        return json_response(await request.app[API_DOCUMENT].get())
    return await handler(request)
