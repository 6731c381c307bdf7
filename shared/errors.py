"""Errors, and the one shape every refusal takes on the wire (problem+json).

Two families:

- `DomainError` and its subclasses are what business rules raise. They carry a stable code,
  a detail for people and the violations, but no HTTP status: the domain knows nothing of HTTP.
  `shared.http` renders each kind with its status (`DOMAIN_STATUSES`).
- `ProblemError` is an HTTP-level refusal raised by the HTTP layer itself (a malformed request,
  a missing token, a rate limit), with its status.

Both render to `application/problem+json` with the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Violation:
    """One broken rule or invalid field: where, what, and a stable machine code."""

    loc: tuple[str | int, ...]
    msg: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "code": self.code}


@dataclass
class ProblemError(Exception):
    status: int
    title: str
    detail: str = ""
    code: str | None = None
    errors: list[Violation] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code or self.title}: {self.detail}"


class DomainError(Exception):
    """A business rule refused a command. The subclass says which kind of refusal it is."""

    title = "Unprocessable entity"

    def __init__(
        self,
        detail: str,
        *,
        code: str,
        errors: list[Violation] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.errors: list[Violation] = list(errors or [])
        self.extra: dict[str, Any] = dict(extra or {})

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class RulesViolated(DomainError):
    """One or more rules were broken; every violation is reported together."""


class StateConflict(DomainError):
    """The action is not allowed from the aggregate's current state (named in `extra`)."""

    title = "Conflict"


class Conflict(DomainError):
    """The command clashes with what exists (a taken handle, a concurrent update)."""

    title = "Conflict"


class NotFound(DomainError):
    title = "Not found"


class Forbidden(DomainError):
    title = "Forbidden"


class UnsupportedContent(DomainError):
    """The content is not of a kind the command takes (an upload whose bytes are not an accepted
    file type, whatever its name says)."""

    title = "Unsupported media type"


def rules_violated(violations: list[Violation], detail: str = "") -> RulesViolated:
    """Every violated rule reported together; the code is the rule's own when there is one."""
    codes = ", ".join(sorted({v.code for v in violations}))
    return RulesViolated(
        detail or f"Rules violated: {codes}",
        code=violations[0].code if len(violations) == 1 else "rules_violated",
        errors=violations,
    )


def state_conflict(current_state: str, action: str, code: str = "invalid_state") -> StateConflict:
    """The action is not allowed from the current state, which is named."""
    return StateConflict(
        f"Cannot {action} while {current_state}", code=code, extra={"current_state": current_state}
    )


def conflict(code: str, detail: str) -> Conflict:
    return Conflict(detail, code=code)


def concurrent_update(what: str) -> Conflict:
    """Another request changed the aggregate since it was loaded: its write is refused rather
    than silently overwriting the first."""
    return conflict(
        "concurrent_update", f"The {what} was changed by another request; reload it and try again"
    )


def not_found(what: str = "Resource") -> NotFound:
    return NotFound(f"{what} not found", code="not_found")


def forbidden(detail: str = "Not allowed for your role") -> Forbidden:
    return Forbidden(detail, code="forbidden")


def unauthorized(detail: str = "Authentication required") -> ProblemError:
    return ProblemError(
        401, "Unauthorized", detail, code="unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


def bad_request(detail: str, code: str = "bad_request") -> ProblemError:
    return ProblemError(400, "Bad request", detail, code=code)


def too_many_requests(retry_after_s: int, detail: str = "Too many requests") -> ProblemError:
    return ProblemError(
        429,
        "Too many requests",
        detail,
        code="rate_limited",
        headers={"Retry-After": str(max(1, retry_after_s))},
    )
