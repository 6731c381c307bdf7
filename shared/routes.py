"""What a route is: its declaration (`Route`, made by shared/http.py's `Routes`) and what its
handler gets (`Call`). Apart from shared/http.py so the OpenAPI document (shared/openapi.py) is
generated from the same declarations without importing the HTTP runtime."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from shared.auth import Principal, Role
from shared.errors import not_found, unauthorized


@dataclass
class Call:
    """What a handler gets: the request, its parsed parts and who is calling."""

    request: web.Request
    body: Any
    query: Any
    principal: Principal | None

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def user(self) -> Principal:
        """The signed-in caller, on a route that requires a role (so there always is one)."""
        if self.principal is None:
            raise unauthorized()
        return self.principal

    def path_id(self, name: str = "id") -> uuid.UUID:
        """A path id; one that is not a UUID cannot exist, so it is a 404."""
        try:
            return uuid.UUID(self.request.match_info[name])
        except ValueError:
            raise not_found() from None

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)


Handler = Callable[[Call], Awaitable[Any]]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    roles: tuple[Role, ...] = ()
    auth: str = "required"  # required | optional | none
    body_required: bool = True  # False: an empty body means the model's defaults
    tag: str = ""
    extra_responses: dict[int, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # documented request headers
    # A multipart/form-data file field the handler streams itself (no `body` model): documented
    # as the request body.
    upload: str = ""
    # The media type of a handler's own non-JSON response (bytes), for the document.
    produces: str = ""
