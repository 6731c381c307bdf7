"""Errors that map to one problem+json response each.

Domain code raises these; the HTTP layer turns any of them into
`application/problem+json` with the status they carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


def rules_violated(violations: list[Violation], detail: str = "") -> ProblemError:
    """422: every violated rule reported together."""
    codes = ", ".join(sorted({v.code for v in violations}))
    return ProblemError(
        422,
        "Unprocessable entity",
        detail or f"Rules violated: {codes}",
        code=violations[0].code if len(violations) == 1 else "rules_violated",
        errors=list(violations),
    )


def state_conflict(current_state: str, action: str, code: str = "invalid_state") -> ProblemError:
    """409: the action is not allowed from the current state, which is named."""
    return ProblemError(
        409,
        "Conflict",
        f"Cannot {action} while {current_state}",
        code=code,
        extra={"current_state": current_state},
    )


def conflict(code: str, detail: str) -> ProblemError:
    return ProblemError(409, "Conflict", detail, code=code)


def not_found(what: str = "Resource") -> ProblemError:
    return ProblemError(404, "Not found", f"{what} not found", code="not_found")


def forbidden(detail: str = "Not allowed for your role") -> ProblemError:
    return ProblemError(403, "Forbidden", detail, code="forbidden")


def unauthorized(detail: str = "Authentication required") -> ProblemError:
    return ProblemError(
        401, "Unauthorized", detail, code="unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


def bad_request(detail: str, code: str = "bad_request") -> ProblemError:
    return ProblemError(400, "Bad request", detail, code=code)


def too_many_requests(retry_after_s: int, detail: str = "Too many requests") -> ProblemError:
    return ProblemError(
        429, "Too many requests", detail, code="rate_limited",
        headers={"Retry-After": str(max(1, retry_after_s))},
    )
