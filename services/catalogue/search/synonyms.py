"""The maintained synonyms file (synonyms.txt beside this module), read into groups of
equivalent phrases, and the search for them in a query's words."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")

Phrase = tuple[str, ...]

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """Lower-case words as the index splits text: runs of letters and digits."""
    return _WORD.findall(text.lower())


def parse(text: str) -> dict[Phrase, tuple[Phrase, ...]]:
    """Each phrase of a group -> every phrase of its group (itself included), in file order."""
    groups: dict[Phrase, tuple[Phrase, ...]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        group = tuple(dict.fromkeys(phrase for part in line.split(",") if (phrase := tuple(words(part)))))
        for phrase in group:
            if phrase in groups:
                raise ValueError(f"{' '.join(phrase)!r} is in two synonym groups")
            groups[phrase] = group
    return groups


@functools.cache
def load(path: Path = SYNONYMS_FILE) -> dict[Phrase, tuple[Phrase, ...]]:
    return parse(path.read_text(encoding="utf-8"))


def longest_at(
    query_words: Sequence[str], start: int, groups: dict[Phrase, tuple[Phrase, ...]]
) -> tuple[int, tuple[Phrase, ...]] | None:
    """The longest synonym phrase starting at `start`: (its length, its group), or None."""
    longest = max((len(phrase) for phrase in groups), default=0)
    for length in range(min(longest, len(query_words) - start), 0, -1):
        group = groups.get(tuple(query_words[start : start + length]))
        if group is not None:
            return length, group
    return None
