"""HTTP: one route registry per service, the app factory's middlewares,
problem+json errors, operations endpoints and the OpenAPI document.

A handler is declared once with what it takes and returns:

    routes = Routes("makers")

    @routes.post("/api/v1/makers", body=MakerIn, response=MakerOut, status=201, roles=("maker",))
    async def create_maker(call: Call) -> MakerOut: ...

The registry parses and validates the query and body (400 malformed JSON, 422
schema violation), authenticates (401/403), serialises the result, and the same
declarations generate `/openapi.json`.
"""

from __future__ import annotations

import functools
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pydantic_core
from aiohttp import web
from aiohttp.typedefs import Handler as RequestHandler
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ValidationError

from shared.auth import Principal, TokenVerifier, require_role
from shared.config import ServiceSettings
from shared.db import CONNECTION_LOST
from shared.errors import (
    PROBLEM_TYPE,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ProblemError,
    RulesViolated,
    StateConflict,
    UnsupportedContent,
    Violation,
    bad_request,
)
from shared.logging import bind_context, get_logger
from shared.metrics import HTTP_LATENCY
from shared.openapi import openapi_document as openapi_document  # re-exported for the gateway
from shared.routes import Call as Call  # re-exported: handlers import it from here
from shared.routes import Handler, Route
from shared.tracing import server_spans

log = get_logger()

SETTINGS = web.AppKey("settings", ServiceSettings)
POOL = web.AppKey("pool", asyncpg.Pool)
VERIFIER = web.AppKey("verifier", TokenVerifier)
READY_CHECKS = web.AppKey("ready_checks", list)
METRICS_HOOKS = web.AppKey("metrics_hooks", list)
ROUTES = web.AppKey("routes", list)

_UNLOGGED = ("/health", "/metrics")
_UNLOGGED_WHEN_SERVED = "/media/"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# ---------------------------------------------------------------- the registry


class Routes:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.routes: list[Route] = []

    def add(self, method: str, path: str, **options: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            summary = (
                options.pop("summary", None) or (handler.__doc__ or handler.__name__).strip().split("\n")[0]
            )
            self.routes.append(Route(method, path, handler, summary=summary, tag=self.tag, **options))
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("POST", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.add("DELETE", path, **options)

    def install(self, app: web.Application) -> None:
        for route in self.routes:
            app.router.add_route(route.method, route.path, _endpoint(route))
        app[ROUTES].extend(self.routes)


def authenticate(request: web.Request) -> Principal | None:
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "Unauthorized",
            "Expected a Bearer token",
            code="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return request.app[VERIFIER].verify(token.strip())


def _endpoint(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        principal = None if route.auth == "none" else authenticate(request)
        if route.auth == "required":
            require_role(principal, *route.roles)
        query = _parse(route.query, _single_values(request), ("query",)) if route.query else None
        body = None
        if route.body is not None:
            if not route.body_required and not await request.read():
                body = route.body()
            else:
                body = _parse(route.body, await read_json(request), ("body",))
        result = await route.handler(Call(request, body, query, principal))
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result, status=route.status)

    return endpoint


def _single_values(request: web.Request) -> dict[str, str]:
    """The query string as one value per name: every parameter is a single value, so one given
    twice is refused rather than one of its values silently picked."""
    repeated = sorted({name for name in request.query if len(request.query.getall(name)) > 1})
    if repeated:
        raise ProblemError(
            422,
            "Validation failed",
            f"{len(repeated)} invalid field(s)",
            code="validation_failed",
            errors=[Violation(("query", name), "given more than once", "repeated") for name in repeated],
        )
    return dict(request.query)


def _parse(model: type[BaseModel], data: Any, where: tuple[str, ...]) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc, where) from None


def validation_problem(exc: ValidationError, where: tuple[str, ...] = ()) -> ProblemError:
    violations = [
        Violation(where + tuple(error["loc"]), error["msg"], error["type"])
        for error in exc.errors(include_url=False)
    ]
    return ProblemError(
        422,
        "Validation failed",
        f"{len(violations)} invalid field(s)",
        code="validation_failed",
        errors=violations,
    )


async def read_json(request: web.Request) -> Any:
    """The body as JSON: 400 when it is not JSON, 422 when a string in it cannot
    be stored (NUL, unpaired surrogates)."""
    raw = await request.read()
    if not raw:
        raise bad_request("A JSON body is required", code="body_required")
    try:
        data = json.loads(raw, parse_float=_number)
    except (ValueError, RecursionError):
        raise bad_request("Malformed JSON", code="malformed_json") from None
    _check_strings(data, ("body",), depth=0)
    return data


def _number(literal: str) -> float | int:
    """A JSON number with no fractional part is an integer (12.0 as 12), as JSON Schema's
    `integer` says; 12.5 stays a float, which an integer field refuses."""
    value = float(literal)
    return int(value) if value.is_integer() else value


_MAX_DEPTH = 32


def _check_strings(value: Any, loc: tuple[Any, ...], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise bad_request("JSON nested too deeply", code="too_deep")
    if isinstance(value, str):
        _check_text(value, loc)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, loc)
            _check_strings(item, (*loc, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, (*loc, index), depth + 1)


def _check_text(text: str, loc: tuple[Any, ...]) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad_characters(loc, "unpaired surrogate") from None
    if "\x00" in text:
        raise _bad_characters(loc, "NUL character")


def _bad_characters(loc: tuple[Any, ...], what: str) -> ProblemError:
    return ProblemError(
        422,
        "Validation failed",
        f"Text contains an {what}",
        code="invalid_characters",
        errors=[Violation(loc, f"contains an {what}", "invalid_characters")],
    )


class RawJson(bytes):
    """A result already serialised as JSON (a rendering a handler keeps), sent as it is."""


def json_response(result: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=result if isinstance(result, RawJson) else pydantic_core.to_json(result),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def problem_response(error: ProblemError, request_id: str | None = None) -> web.Response:
    body: dict[str, Any] = {
        "type": f"/problems/{error.code or error.status}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if error.code:
        body["code"] = error.code
    if error.errors:
        body["errors"] = [v.as_dict() for v in error.errors]
    body.update(error.extra)
    if request_id:
        body["request_id"] = request_id
    return web.Response(
        body=pydantic_core.to_json(body),
        status=error.status,
        content_type=PROBLEM_TYPE,
        headers=error.headers,
    )


# --------------------------------------------------------------- middlewares


@functools.lru_cache(maxsize=4096)
def _latency(service: str, method: str, route: str, status: int) -> Any:
    # The histogram of one route and status, looked up once: prometheus_client's labels()
    # validates and locks on every call, a few per cent of a fast request's CPU.
    return HTTP_LATENCY.labels(service, method, route, str(status))


@web.middleware
async def _request_context(request: web.Request, handler: RequestHandler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _SANE_REQUEST_ID.match(incoming) else str(uuid.uuid4())
    service = request.app[SETTINGS].service
    started = time.perf_counter()
    with bind_context(request_id=request_id, correlation_id=request_id):
        status = 500
        try:
            response = await _problem_or_response(request, handler, request_id)
            status = response.status
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            _latency(service, request.method, route, status).observe(elapsed)
            # Probes are not logged, nor rendition fetches that succeed (static bytes a page asks
            # for by the dozen; the front door or CDN logs those): only their refusals.
            if not request.path.startswith(_UNLOGGED) and not (
                status < 400 and request.path.startswith(_UNLOGGED_WHEN_SERVED)
            ):
                log.info(
                    "http_request",
                    method=request.method,
                    path=request.path,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )


async def _problem_or_response(
    request: web.Request, handler: RequestHandler, request_id: str
) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProblemError as error:
        return problem_response(error, request_id)
    except DomainError as error:
        return problem_response(problem_for(error), request_id)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        problem = ProblemError(
            exc.status, exc.reason, exc.text or exc.reason, code=_HTTP_CODES.get(exc.status, str(exc.status))
        )
        problem.headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        if exc.status == 405:
            problem.headers["Allow"] = _allowed_methods(request) or problem.headers.get("Allow", "")
        return problem_response(problem, request_id)
    except CONNECTION_LOST as exc:
        # The database is unreachable or the connection was cut: a fault of ours, temporary,
        # and the client may try again (an Idempotency-Key makes that safe for money).
        log.warning("database_unavailable", path=request.path, error=repr(exc)[:300])
        return problem_response(
            ProblemError(
                503,
                "Service unavailable",
                "The database is not reachable; try again shortly",
                code="database_unavailable",
                headers={"Retry-After": "1"},
            ),
            request_id,
        )
    except Exception:
        log.exception("unhandled_error", path=request.path)
        return problem_response(
            ProblemError(
                500,
                "Internal server error",
                "Something went wrong; it has been logged",
                code="internal_error",
            ),
            request_id,
        )


def _allowed_methods(request: web.Request) -> str:
    """The methods of the path the request names: of the route template that fits it most
    closely (a literal path before one with parameters). aiohttp's own Allow joins the methods of
    every template that matches, so /listings/mine would offer /listings/{id}'s PATCH."""
    fitting: dict[str, set[str]] = {}  # template -> methods (one path may span several resources)
    for resource in request.app.router.resources():
        info = resource.get_info()
        pattern = info.get("pattern")
        if info.get("path") == request.path or (pattern is not None and pattern.fullmatch(request.path)):
            template = str(info.get("path") or info.get("formatter"))
            fitting.setdefault(template, set()).update(route.method for route in resource)
    if not fitting:
        return ""
    closest = min(fitting, key=lambda template: template.count("{"))
    return ", ".join(sorted(fitting[closest]))


# How each kind of domain refusal is said in HTTP.
DOMAIN_STATUSES: dict[type[DomainError], int] = {
    RulesViolated: 422,
    StateConflict: 409,
    Conflict: 409,
    NotFound: 404,
    Forbidden: 403,
    UnsupportedContent: 415,
}


def problem_for(error: DomainError) -> ProblemError:
    """The problem+json a domain refusal is answered with."""
    status = next((status for kind, status in DOMAIN_STATUSES.items() if isinstance(error, kind)), 422)
    return ProblemError(
        status,
        error.title,
        error.detail,
        code=error.code,
        errors=list(error.errors),
        extra=dict(error.extra),
    )


_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


# ------------------------------------------------------------ the app factory


def create_app(settings: ServiceSettings, title: str) -> web.Application:
    app = web.Application(
        middlewares=[server_spans, _request_context],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[READY_CHECKS] = []
    app[METRICS_HOOKS] = []
    app[ROUTES] = []
    app[VERIFIER] = TokenVerifier(settings.public_key_pem(), settings.jwt_issuer, settings.jwt_audience)
    app.router.add_get("/health/live", _live)
    app.router.add_get("/health/ready", _ready)
    app.router.add_get("/metrics", _metrics)
    app.router.add_get("/openapi.json", _openapi_handler(title))
    return app


async def _live(request: web.Request) -> web.Response:
    return json_response({"status": "live"})


async def _ready(request: web.Request) -> web.Response:
    failing = {}
    for name, check in request.app[READY_CHECKS]:
        try:
            await check()
        except Exception as exc:
            failing[name] = repr(exc)[:200]
    if failing:
        return json_response({"status": "unavailable", "failing": failing}, status=503)
    return json_response({"status": "ready"})


async def _metrics(request: web.Request) -> web.Response:
    for hook in request.app[METRICS_HOOKS]:
        try:
            await hook()
        except Exception as exc:
            log.warning("metrics_hook_failed", error=repr(exc))
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _openapi_handler(title: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def openapi(request: web.Request) -> web.Response:
        return json_response(openapi_document(title, request.app[ROUTES]))

    return openapi
