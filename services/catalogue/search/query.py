"""What a search asks for: the filters, the sort, the cursor, and the text query read into
clauses (words, quoted phrases, synonym groups, alternatives, exclusions), before any index
sees it. Building the index's query from them is in engine.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

import tantivy

from services.catalogue.domain import Category, MetalType, ProductionKind, SourcingScheme, StoneOrigin
from services.catalogue.search.rows import normalise_word
from services.catalogue.search.synonyms import Phrase, load, longest_at, words
from shared.errors import bad_request
from shared.paging import decode_cursor, encode_cursor


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING = "rating"


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    category: Category | None = None
    metal: MetalType | None = None
    fineness: int | None = None
    stone: str | None = None
    stone_origin: StoneOrigin | None = None
    min_price: int | None = None
    max_price: int | None = None
    production: ProductionKind | None = None
    sourcing: SourcingScheme | None = None
    maker_id: UUID | None = None
    occasion: str | None = None
    min_rating: float | None = None

    def terms(self) -> list[str]:
        """The exact-match filters as search-row terms (all must be present)."""
        terms = []
        if self.category:
            terms.append(f"category:{self.category}")
        if self.production:
            terms.append(f"production:{self.production}")
        if self.metal and self.fineness is not None:
            terms.append(f"metal_fineness:{self.metal}:{self.fineness}")
        elif self.metal:
            terms.append(f"metal:{self.metal}")
        elif self.fineness is not None:
            terms.append(f"fineness:{self.fineness}")
        stone = normalise_word(self.stone) if self.stone else None
        if stone and self.stone_origin:
            terms.append(f"stone_type_origin:{stone}:{self.stone_origin}")
        elif stone:
            terms.append(f"stone:{stone}")
        elif self.stone_origin:
            terms.append(f"stone_origin:{self.stone_origin}")
        if self.sourcing:
            terms.append(f"sourcing:{self.sourcing}")
        if self.maker_id:
            terms.append(f"maker:{self.maker_id}")
        if self.occasion:
            terms.append(f"occasion:{normalise_word(self.occasion)}")
        return terms


# --- the text query -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A word as typed (lower case): found by its stem, and, when the index has no such word,
    within the typo distance of its length."""

    text: str


@dataclass(frozen=True)
class Quoted:
    """A "quoted phrase": its words in that order, exactly."""

    words: Phrase


@dataclass(frozen=True)
class Synonyms:
    """A phrase of the synonyms file: any phrase of its group, each with all its words."""

    group: tuple[Phrase, ...]


@dataclass(frozen=True)
class Either:
    """`a or b`: any of the clauses."""

    clauses: tuple[Clause, ...]


Clause = Word | Quoted | Synonyms | Either


@dataclass(frozen=True)
class TextQuery:
    required: list[Clause] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.required or self.excluded)


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_STOP_WORDS = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.stopword("english")).build()
)


def is_stop_word(word: str) -> bool:
    return not _STOP_WORDS.analyze(word)


def typo_distance(word: str) -> int:
    """Edits forgiven in a word: one from 5 letters, two from 9."""
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0


def parse_text(q: str | None, groups: dict[Phrase, tuple[Phrase, ...]] | None = None) -> TextQuery:
    """Web-search syntax: words (all required), "quoted phrases", -excluded words or phrases,
    `or` between two clauses. Stop words alone are dropped; synonym phrases become their group."""
    groups = load() if groups is None else groups
    text = TextQuery()
    if not q:
        return text
    # Runs of plain words (where synonym phrases are looked for), with markers in between.
    items: list[Clause | str] = []
    run: list[str] = []

    def flush() -> None:
        start = 0
        while start < len(run):
            found = longest_at(run, start, groups)
            if found is not None:
                items.append(Synonyms(found[1]))
                start += found[0]
            else:
                if not is_stop_word(run[start]):
                    items.append(Word(run[start]))
                start += 1
        run.clear()

    for match in _TOKEN.finditer(q):
        negated, quoted, token = match.group(1), match.group(2), match.group(3)
        if quoted is not None:
            flush()
            phrase = tuple(words(quoted))
            if phrase:
                clause = Quoted(phrase) if len(phrase) > 1 else Word(phrase[0])
                items += ["-", clause] if negated else [clause]
        elif token.lower() == "or":
            flush()
            items.append("or")
        elif token.startswith("-") and len(token) > 1:
            flush()
            excluded = words(token[1:])
            if excluded:
                items += ["-", Word(excluded[0]) if len(excluded) == 1 else Quoted(tuple(excluded))]
        else:
            run.extend(words(token))
    flush()
    return _combine(items)


def _combine(items: list[Clause | str]) -> TextQuery:
    text = TextQuery()
    negate = join = False
    for item in items:
        if item == "-":
            negate = True
        elif item == "or":
            join = bool(text.required)
        elif not isinstance(item, str):
            if negate:
                text.excluded.append(item)
            elif join:
                previous = text.required.pop()
                earlier = previous.clauses if isinstance(previous, Either) else (previous,)
                text.required.append(Either((*earlier, item)))
            else:
                text.required.append(item)
            negate = join = False
    return text


# --- cursors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a page ended: the searcher generation it was read from, how many items came before
    the next page, and the last item's sort key (its score for relevance)."""

    sort: Sort
    generation: int
    offset: int
    key: int | float

    def encode(self) -> str:
        return encode_cursor([self.sort.value, self.generation, self.offset, self.key])


_KEY_MAX = 2**64 - 1


def decode_position(cursor: str | None, sort: Sort) -> Position | None:
    """The position in a cursor; one made for another sort order is a 400."""
    if cursor is None:
        return None
    key_type = float if sort is Sort.RELEVANCE else int
    position = decode_cursor(cursor, (str, int, int, key_type))
    assert position is not None
    name, generation, offset, key = position
    if name != sort.value:
        raise bad_request("The cursor belongs to another sort order", code="invalid_cursor")
    # bool is an int to Python, and no cursor carries one.
    if any(isinstance(value, bool) for value in position) or generation < 0 or offset < 0:
        raise bad_request("Invalid cursor", code="invalid_cursor")
    if sort is not Sort.RELEVANCE and not 0 <= key <= _KEY_MAX:
        raise bad_request("Invalid cursor", code="invalid_cursor")
    return Position(sort, generation, offset, key)
