"""Corrections for `did_you_mean`: the nearest word the index holds to a word it does not."""

from __future__ import annotations

import tantivy

from services.catalogue.search.query import typo_distance


def edit_distance(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours),
    or `bound` + 1 once it must exceed `bound`."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        before, previous = previous, current
    return previous[-1]


def closest(searcher: tantivy.Searcher, word: str, held_by: int = 0) -> str | None:
    """The most common indexed word within the word's typo distance (at least one edit) that
    shares its first letter and is held by ten times as many listings as the word itself
    (`held_by`), the nearest first; None when there is none."""
    if len(word) < 3:
        return None
    bound = max(1, typo_distance(word))
    candidates = searcher.terms_with_prefix("spell", word[0], filter_query=tantivy.Query.all_query())
    best: tuple[int, int, str] | None = None
    for term, count in candidates:
        if count <= 10 * held_by or not count or abs(len(term) - len(word)) > bound:
            continue
        distance = edit_distance(word, term, bound)
        if 1 <= distance <= bound and (best is None or (distance, -count) < best[:2]):
            best = (distance, -count, term)
    return best[2] if best else None
