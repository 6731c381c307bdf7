"""`misleading_metal_description`: precious-metal words on a piece that declares no precious
metal, unless qualified as what it is (gold-plated, gold-tone, gilded with gold leaf) or part of
a colour's name (silver grey); vermeil only over 925 silver."""

from __future__ import annotations

from collections.abc import Sequence

from services.catalogue.domain.hallmarking import Metal
from services.catalogue.domain.vocabulary import MetalType
from services.catalogue.domain.wording.lexicon import (
    CARAT_MARK,
    CARAT_UNITS,
    FINENESS_MARKS,
    GOLD_CARATS,
    LEAF_WORDS,
    METAL_COLOUR_NAMES_AFTER,
    METAL_COLOURS,
    METAL_QUALIFIERS_AFTER,
    METAL_QUALIFIERS_BEFORE,
    NEGATIONS,
    PIECE_NOUNS,
    PRECIOUS_METAL_WORDS,
    sentences,
)

# --- metals ---------------------------------------------------------------------------------------


def has_precious(metals: Sequence[Metal]) -> bool:
    return any(metal.is_precious for metal in metals)


def _vermeil_allowed(metals: Sequence[Metal]) -> bool:
    return any(metal.metal is MetalType.SILVER and (metal.fineness or 0) >= 925 for metal in metals)


def _is_carat_mark(tokens_: Sequence[str], i: int) -> bool:
    """ "18ct", "9k", or "18" followed by "carat"."""
    token = tokens_[i]
    if CARAT_MARK.fullmatch(token):
        return True
    return token in GOLD_CARATS and i + 1 < len(tokens_) and tokens_[i + 1] in CARAT_UNITS


def _is_metal_word(tokens_: Sequence[str], i: int) -> bool:
    token = tokens_[i]
    if token in PRECIOUS_METAL_WORDS or _is_carat_mark(tokens_, i):
        return True
    if token in FINENESS_MARKS:
        # A fineness used as a metal, not a price or a count: "925 ring", "solid 750", "925".
        before = tokens_[i - 1] if i > 0 else ""
        after = tokens_[i + 1] if i + 1 < len(tokens_) else ""
        return not (
            before in {"£", "$", "€", "#", "no", "number"} or after in {"mm", "g", "pieces", "ml", "%"}
        )
    return False


def _metal_run(tokens_: Sequence[str], i: int) -> tuple[int, int]:
    """The run of metal words, colours and carat units around token i: "18ct rose gold"."""
    start = i
    while start > 0 and (
        _is_metal_word(tokens_, start - 1)
        or tokens_[start - 1] in METAL_COLOURS
        or tokens_[start - 1] in {"solid", "pure", "fine"}
    ):
        start -= 1
    end = i
    while end + 1 < len(tokens_) and (
        _is_metal_word(tokens_, end + 1)
        or tokens_[end + 1] in METAL_COLOURS
        or tokens_[end + 1] in CARAT_UNITS
    ):
        end += 1
    return start, end


def _metal_word_qualified(tokens_: Sequence[str], i: int) -> bool:
    start, end = _metal_run(tokens_, i)
    after = tokens_[end + 1] if end + 1 < len(tokens_) else ""
    if after in METAL_QUALIFIERS_AFTER or after in METAL_COLOUR_NAMES_AFTER:
        return True
    if after in LEAF_WORDS:
        return (tokens_[end + 2] if end + 2 < len(tokens_) else "") not in PIECE_NOUNS
    j = start - 1
    if j >= 0 and tokens_[j] in {"in", "with", "of"}:
        j -= 1
        while j >= 0 and tokens_[j] in {"a", "an", "thin", "fine", "micron", "microns"}:
            j -= 1
    if j >= 0 and tokens_[j] in METAL_QUALIFIERS_BEFORE:
        return True
    # "not gold", "no silver", "nickel- and silver-free"
    if start > 0 and tokens_[start - 1] in NEGATIONS | {"without"}:
        return True
    return after == "free"


def metal_description_problems(text: str, metals: Sequence[Metal]) -> list[str]:
    """The precious-metal words a piece with no precious metal may not use ("solid 18ct gold"
    on brass), and "vermeil" unless over silver of at least 925, in the order they appear."""
    problems: list[str] = []
    no_precious = not has_precious(metals)
    vermeil_ok = _vermeil_allowed(metals)
    for sentence in sentences(text):
        i = 0
        while i < len(sentence):
            token = sentence[i]
            if token == "vermeil" and not vermeil_ok:
                problems.append("vermeil")
            elif no_precious and _is_metal_word(sentence, i):
                start, end = _metal_run(sentence, i)
                if not _metal_word_qualified(sentence, i):
                    problems.append(" ".join(sentence[start : end + 1]))
                i = end + 1
                continue
            i += 1
    return list(dict.fromkeys(problems))
