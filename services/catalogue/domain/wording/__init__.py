"""Wording that cannot mislead (docs/domain.md): what a listing's title, description and tags
may say about its metals and stones.

- `misleading_metal_description` (Hallmarking Act 1973): a piece that declares no precious metal
  (its metals are all `other`) may not be described with precious-metal words (gold, silver,
  platinum, palladium, sterling, Britannia, a carat mark, a fineness number used as a metal)
  unless the word is qualified as what it is ("gold-plated", "gold filled", "gold-tone",
  "silver-coloured", "plated in 18ct gold"). "Vermeil" only over silver of at least 925.
- `misleading_stone_description` (ISO 18323, CIBJO): a lab-grown stone's name is qualified
  wherever it appears ("laboratory-grown", "lab-grown", "laboratory-created", "lab-created",
  "synthetic"); an imitation is named as an imitation ("imitation pearl", "diamond simulant") or
  by its own material, never by the stone it imitates alone; and the words that say a stone is
  natural ("natural", "real", "genuine", "authentic", "precious", "mined", "earth-mined") qualify
  only natural stones.

The texts are read as sentences, not as windows of words: each is tokenised, split into
sentences and clauses, and every qualifier is attached to the stone or metal noun it qualifies:
the modifiers in front of a noun up to the start of its phrase (a determiner, a preposition, a
conjunction, another noun), words in apposition after it, and predicates about it ("the
diamond, which is natural", "our diamonds are 100% real"). Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.catalogue.domain.fields import ListingDraft
from services.catalogue.domain.wording.lexicon import sentences, tokens
from services.catalogue.domain.wording.metals import has_precious, metal_description_problems
from services.catalogue.domain.wording.stones import stone_description_problems
from shared.errors import Violation

__all__ = [
    "Text",
    "listing_texts",
    "metal_description_problems",
    "sentences",
    "stone_description_problems",
    "tokens",
    "wording_violations",
]

# --- what each field says -------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One field of the listing to read: where it is (for the violation) and what it says."""

    loc: tuple[str | int, ...]
    name: str
    text: str


def listing_texts(listing: ListingDraft) -> list[Text]:
    """Title, description and every tag (style tags, occasions, techniques), each on its own."""
    texts = [
        Text(("title",), "title", listing.title or ""),
        Text(("description",), "description", listing.description or ""),
    ]
    for field_name in ("style_tags", "occasions", "techniques"):
        for index, tag in enumerate(getattr(listing, field_name)):
            texts.append(Text((field_name, index), f"tag {tag!r}", tag))
    return [t for t in texts if t.text]


def wording_violations(listing: ListingDraft) -> list[Violation]:
    """Codes: misleading_metal_description, misleading_stone_description (one per field)."""
    found: list[Violation] = []
    for text in listing_texts(listing):
        metal_words = metal_description_problems(text.text, listing.metals)
        if metal_words:
            found.append(
                Violation(
                    text.loc,
                    f"The {text.name} describes the piece as {', '.join(repr(w) for w in metal_words)}, "
                    "but it declares no precious metal; say what it is (gold-plated, gold-tone, "
                    "silver-coloured)"
                    if not has_precious(listing.metals)
                    else f"The {text.name} says {', '.join(repr(w) for w in metal_words)}: vermeil "
                    "is gold over silver of at least 925",
                    "misleading_metal_description",
                )
            )
        stone_problems = stone_description_problems(text.text, listing.stones)
        if stone_problems:
            found.append(
                Violation(
                    text.loc,
                    f"The {text.name} " + "; ".join(stone_problems),
                    "misleading_stone_description",
                )
            )
    return found
