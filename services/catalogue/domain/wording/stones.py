"""`misleading_stone_description`: a lab-grown stone's name qualified wherever it appears, an
imitation named as one, and the words of naturalness only on natural stones; each qualifier read
with the stone it qualifies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services.catalogue.domain.fields import Stone
from services.catalogue.domain.vocabulary import StoneOrigin, singular, stone_kind
from services.catalogue.domain.wording.lexicon import (
    ALIASES,
    CLAUSE_BREAKS,
    COMPARED_TO,
    COMPARISON_AFTER,
    COMPARISON_BEFORE,
    CONJUNCTIONS,
    COPULAS,
    DETERMINERS,
    GEM_NAMES,
    GENERIC_STONE_NOUNS,
    IMITATION_AFTER,
    IMITATION_BEFORE,
    INTENSIFIERS,
    LAB_QUALIFIERS,
    NATURAL_CLAIMS,
    NEGATIONS,
    OTHER_NOUNS,
    PHRASE_STOPS,
    sentences,
    tokens,
)

# --- stones ---------------------------------------------------------------------------------------


@dataclass
class Mention:
    """A stone named in a sentence: tokens [start, end] are its name."""

    start: int
    end: int
    name: str  # the stone type it names, a gem name, or "stone" for a generic noun
    lab: bool = False  # qualified as laboratory-grown
    imitation: bool = False  # named as an imitation ("diamond simulant", "diamond-look")
    compared: bool = False  # another stone the piece is compared with ("like a diamond")
    claims: list[str] = field(default_factory=list)  # natural-claim words attached to it


def _lab_qualifier_ending_at(tokens_: Sequence[str], i: int) -> int | None:
    """Start of a lab-grown qualifier ending at token i, if one does."""
    for words in LAB_QUALIFIERS:
        start = i - len(words) + 1
        if start >= 0 and tuple(tokens_[start : i + 1]) == words:
            return start
    return None


def _lab_qualifier_starting_at(tokens_: Sequence[str], i: int) -> bool:
    return any(tuple(tokens_[i : i + len(words)]) == words for words in LAB_QUALIFIERS)


def _claim_at(tokens_: Sequence[str], i: int) -> tuple[str, int] | None:
    """A natural-claim word at token i ("earth mined" counts as one), with its first token."""
    token = tokens_[i]
    if token not in NATURAL_CLAIMS:
        return None
    if token == "mined" and i > 0 and tokens_[i - 1] == "earth":
        return "earth-mined", i - 1
    return token, i


def _negated(tokens_: Sequence[str], i: int) -> bool:
    j = i - 1
    while j >= 0 and tokens_[j] in {"a", "an", "the", "truly", "really", "quite", "actually", "completely"}:
        j -= 1
    return j >= 0 and tokens_[j] in NEGATIONS


def _kind(stone: Stone) -> str:
    """The stone a listing's stone is, in the catalogue's one vocabulary of stone types."""
    return stone_kind(stone.type)


@dataclass(frozen=True)
class _Names:
    """What names a stone in this listing's texts: every gem name and the listing's own stones'
    names, each read as the stone kind it means ("diamant" and "diamonds" are a diamond, "CZ"
    cubic zirconia, "herkimer diamond" quartz)."""

    kinds: frozenset[str]
    # The listing's stone types, word by word (singular): "blue sapphire", "cubic zirconia".
    spans: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, stones: Sequence[Stone]) -> _Names:
        return cls(
            kinds=frozenset({*GEM_NAMES, *(_kind(stone) for stone in stones)}),
            spans=frozenset(tuple(singular(t) for t in tokens(stone.type)) for stone in stones),
        )

    def kind_of(self, words: Sequence[str]) -> str | None:
        """The stone kind these words name, or None ("stone" for a generic noun)."""
        text = " ".join(words)
        if len(words) > 1:
            # A name of several words: one of the listing's stone types, or a name the
            # vocabulary knows whole (its kind is not that of its last word).
            whole = stone_kind(text)
            if whole != stone_kind(words[-1]):
                return whole
            if tuple(singular(w) for w in words) in self.spans:
                return whole
            return None
        word = words[0]
        if singular(word) in GENERIC_STONE_NOUNS:
            return "stone"
        kind = ALIASES.get(word) or stone_kind(word)
        return kind if kind in self.kinds else None


def _find_mentions(sentence: Sequence[str], names: _Names) -> list[Mention]:
    mentions: list[Mention] = []
    i = 0
    while i < len(sentence):
        for size in range(min(3, len(sentence) - i), 0, -1):
            kind = names.kind_of(sentence[i : i + size])
            if kind is not None:
                mentions.append(Mention(i, i + size - 1, kind))
                i += size
                break
        else:
            i += 1
    return mentions


def _read_phrase_before(sentence: Sequence[str], mention: Mention, mention_ends: set[int]) -> None:
    """Attach the modifiers in front of the name, back to the start of its noun phrase."""
    j = mention.start - 1
    while j >= 0:
        token = sentence[j]
        lab_start = _lab_qualifier_ending_at(sentence, j)
        if lab_start is not None:
            mention.lab = True
            j = lab_start - 1
            continue
        claim = _claim_at(sentence, j)
        if claim is not None:
            if not _negated(sentence, claim[1]):
                mention.claims.append(claim[0])
            j = claim[1] - 1
            continue
        if token in IMITATION_BEFORE:
            mention.imitation = True
            j -= 1
            continue
        if token == ",":
            # A list of adjectives ("genuine, hand-picked diamond") goes on; a list of nouns stops.
            if j > 0 and (sentence[j - 1] in OTHER_NOUNS or (j - 1) in mention_ends):
                break
            j -= 1
            continue
        if token in PHRASE_STOPS or token in OTHER_NOUNS or token in CLAUSE_BREAKS or j in mention_ends:
            k = j - 1 if token in DETERMINERS else j
            mention.compared = k >= 0 and _is_comparison(sentence, k)
            break
        j -= 1


def _is_comparison(sentence: Sequence[str], k: int) -> bool:
    """Whether token k introduces a stone the piece is compared with."""
    token = sentence[k]
    if token in COMPARISON_BEFORE:
        return True
    if token == "to":
        return k > 0 and sentence[k - 1] in COMPARED_TO
    # "as hard as natural diamond"
    return token == "as" and "as" in sentence[max(0, k - 3) : k]


def _read_after(sentence: Sequence[str], mention: Mention) -> None:
    """Words right after the name: "diamond simulant", "diamond (lab-grown)", "diamond-look"."""
    j = mention.end + 1
    if j < len(sentence) and sentence[j] in IMITATION_AFTER | COMPARISON_AFTER:
        mention.imitation = True
        return
    while j < len(sentence) and sentence[j] in {"(", ",", "—", "–", ":", "-"}:
        j += 1
    if j < len(sentence) and _lab_qualifier_starting_at(sentence, j):
        mention.lab = True
    elif j < len(sentence) and sentence[j] in IMITATION_BEFORE | IMITATION_AFTER:
        mention.imitation = True
    elif j > mention.end + 1:
        # Apposition: "diamonds, genuine and conflict-free".
        while j < len(sentence) and sentence[j] in INTENSIFIERS:
            j += 1
        claim = _claim_at(sentence, j) if j < len(sentence) else None
        if claim is not None and _ends_clause(sentence, j) and not _negated(sentence, claim[1]):
            mention.claims.append(claim[0])


def _ends_clause(sentence: Sequence[str], i: int) -> bool:
    after = sentence[i + 1] if i + 1 < len(sentence) else None
    return (
        after is None
        or after in CLAUSE_BREAKS
        or after in CONJUNCTIONS
        or after in {"too", "stone", "stones"}
    )


def _subjects(sentence: Sequence[str], mentions: Sequence[Mention]) -> list[Mention | None]:
    """For each token, the stone a verb there would be about: the first stone named in the
    nearest clause segment before it that names one (segments split at commas, dashes, brackets
    and conjunctions). One pass over the sentence."""
    by_start = {mention.start: mention for mention in mentions}
    subjects: list[Mention | None] = []
    in_segment: Mention | None = None  # the first stone named in the current segment so far
    before: Mention | None = None  # that of the nearest earlier segment naming one
    for i, token in enumerate(sentence):
        subjects.append(in_segment or before)
        if token in CLAUSE_BREAKS or token in CONJUNCTIONS:
            before = in_segment or before
            in_segment = None
        elif in_segment is None and i in by_start:
            in_segment = by_start[i]
    return subjects


def _read_predicates(sentence: Sequence[str], mentions: list[Mention]) -> None:
    """Predicates about a stone: "the diamond is natural", "the diamond, which is natural",
    "our diamonds are 100% real", "the sapphire in the ring is lab-grown". The subject is the
    first stone named in the nearest segment of the sentence before the verb that names one."""
    subjects = _subjects(sentence, mentions)
    for i, token in enumerate(sentence):
        if token not in COPULAS:
            continue
        j = i + 1
        negated = False
        while j < len(sentence) and (sentence[j] in INTENSIFIERS or sentence[j] in NEGATIONS):
            negated = negated or sentence[j] in NEGATIONS
            j += 1
        if j >= len(sentence):
            continue
        lab = _lab_qualifier_starting_at(sentence, j)
        claim = _claim_at(sentence, j)
        imitation = sentence[j] in IMITATION_BEFORE | IMITATION_AFTER
        if not (lab or imitation or (claim and _ends_clause(sentence, j))):
            continue
        subject = subjects[i]
        if subject is None or negated:
            continue
        if lab:
            subject.lab = True
        elif imitation:
            subject.imitation = True
        elif claim:
            subject.claims.append(claim[0])


def _origins(name: str, stones: Sequence[Stone]) -> set[StoneOrigin]:
    """Origins of the listing's stones a name (a stone kind, or "stone") stands for."""
    return {stone.origin for stone in stones if name in ("stone", _kind(stone))}


def stone_description_problems(text: str, stones: Sequence[Stone]) -> list[str]:
    """What a text says wrongly about the listing's lab-grown and imitation stones, in plain
    words ("calls the lab-grown diamond (stones[1]) 'real'"); empty when it is honest."""
    non_natural = [
        (index, stone) for index, stone in enumerate(stones) if stone.origin is not StoneOrigin.NATURAL
    ]
    if not non_natural:
        return []
    names = _Names.of(stones)
    problems: list[str] = []
    for sentence in sentences(text):
        mentions = _find_mentions(sentence, names)
        ends = {m.end for m in mentions}
        for mention in mentions:
            _read_phrase_before(sentence, mention, ends)
            _read_after(sentence, mention)
        _read_predicates(sentence, mentions)
        for mention in mentions:
            problems.extend(_mention_problems(mention, stones, non_natural))
    return list(dict.fromkeys(problems))


def _label(index: int, stone: Stone) -> str:
    origin = "lab-grown" if stone.origin is StoneOrigin.LAB_GROWN else "imitation"
    return f"the {origin} {stone.type} (stones[{index}])"


def _mention_problems(
    mention: Mention, stones: Sequence[Stone], non_natural: Sequence[tuple[int, Stone]]
) -> Iterable[str]:
    origins = _origins(mention.name, stones)
    # Which of the listing's non-natural stones the mention may stand for.
    if mention.name == "stone":
        meant = list(non_natural)
    else:
        meant = [
            (i, s)
            for i, s in non_natural
            if _kind(s) == mention.name
            or (
                s.origin is StoneOrigin.IMITATION
                and mention.name in GEM_NAMES
                and mention.name not in {_kind(t) for t in stones}
            )
        ]
    if mention.lab:
        meant = [(i, s) for i, s in meant if s.origin is StoneOrigin.LAB_GROWN] or meant
    elif mention.imitation:
        meant = [(i, s) for i, s in meant if s.origin is StoneOrigin.IMITATION] or meant
    elif StoneOrigin.NATURAL in origins and mention.name != "stone":
        # An unqualified name shared with a natural stone of the piece stands for that one.
        return
    if not meant:
        return
    if mention.compared:
        # Another stone the piece is compared with: it needs no qualifying, and may be natural
        # ("identical to mined diamonds"); but an imitation is never likened to a "genuine" one.
        meant = [(i, s) for i, s in meant if s.origin is StoneOrigin.IMITATION]
        for claim in dict.fromkeys(mention.claims if meant else []):
            index, stone = meant[0]
            yield f"likens {_label(index, stone)} to a {claim!r} stone; describe it as an imitation"
        return
    for claim in dict.fromkeys(mention.claims):
        index, stone = meant[0]
        describe = "laboratory-grown" if stone.origin is StoneOrigin.LAB_GROWN else "an imitation"
        yield f"calls {_label(index, stone)} {claim!r}; describe it as {describe}"
    if mention.name == "stone" or mention.lab or mention.imitation:
        return
    for index, stone in meant:
        if stone.origin is StoneOrigin.LAB_GROWN:
            yield (
                f"names {_label(index, stone)} without saying it is laboratory-grown; "
                "write lab-grown, laboratory-grown, laboratory-created or synthetic with its name"
            )
        elif _kind(stone) == mention.name:
            if mention.name in GEM_NAMES:
                yield (
                    f"names {_label(index, stone)} as a {mention.name} without saying it is an "
                    f"imitation; write imitation {mention.name} or {mention.name} simulant"
                )
        else:
            yield (
                f"names a {mention.name} but the piece is set with {_label(index, stone)}; name "
                f"the imitation by its own material or as a {mention.name} simulant"
            )
