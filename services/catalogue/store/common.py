"""What the catalogue store's modules share: a subject's rating, read with a maker or a listing
from the ratings read model."""

from __future__ import annotations

from services.catalogue.domain import NO_RATING, Rating


def rating_of(subject: str, subject_id: str) -> str:
    """A scalar subquery: the subject's rating as [count, total], NULL while none is kept."""
    return (
        f"(SELECT ARRAY[r.count, r.total] FROM ratings r "
        f"WHERE r.subject = '{subject}' AND r.subject_id = {subject_id})"
    )


def as_rating(counted: list[int] | None) -> Rating:
    return NO_RATING if counted is None else Rating(*counted)
