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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services.catalogue.domain.fields import ListingDraft, Stone
from services.catalogue.domain.hallmarking import Metal
from services.catalogue.domain.vocabulary import MetalType, StoneOrigin, stone_kind
from shared.errors import Violation

# --- vocabulary -----------------------------------------------------------------------------------

# Words that say a stone is natural: only natural stones may carry them.
NATURAL_CLAIMS = frozenset({"natural", "real", "genuine", "authentic", "precious", "mined"})
# Words (after hyphens are read as spaces) that disclose a lab-grown stone; "created" alone is
# not enough.
_LAB_QUALIFIERS: tuple[tuple[str, ...], ...] = (
    ("laboratory", "grown"),
    ("laboratory", "created"),
    ("lab", "grown"),
    ("lab", "created"),
    ("synthetic",),
)
# Words that disclose an imitation, in front of the name ("imitation pearl", "simulated
# diamond") or after it ("diamond simulant").
_IMITATION_BEFORE = frozenset({"imitation", "simulated", "simulant", "faux"})
_IMITATION_AFTER = frozenset({"simulant", "simulants", "imitation", "imitations"})
# "like a diamond", "diamond-look": a comparison, not a name.
_COMPARISON_AFTER = frozenset({"look", "looks", "like", "style", "alternative", "alternatives"})
# A stone named after one of these is another stone the piece is compared with ("identical to
# mined diamonds", "unlike natural sapphires", "as hard as natural diamond").
_COMPARISON_BEFORE = frozenset(
    {"like", "unlike", "than", "versus", "vs", "resembling", "imitating", "rivals", "rival", "rivalling"}
)
_COMPARED_TO = frozenset(
    {
        "identical",
        "similar",
        "equivalent",
        "compared",
        "comparable",
        "equal",
        "alternative",
        "superior",
        "inferior",
    }
)
# Names of gemstones an imitation may stand in for ("diamond halo earrings" set with cubic
# zirconia names the diamond it imitates).
GEM_NAMES = frozenset(
    {
        "diamond", "ruby", "sapphire", "emerald", "pearl", "opal", "topaz", "amethyst",
        "aquamarine", "tanzanite", "tourmaline", "garnet", "peridot", "spinel", "alexandrite",
        "morganite", "citrine", "jade", "turquoise", "moonstone", "tsavorite", "zircon",
        "moissanite",
    }
)  # fmt: skip
# Nouns that stand for any stone of the piece.
GENERIC_STONE_NOUNS = frozenset({"stone", "gem", "gemstone", "jewel", "rock"})
# Words the vocabulary of stone types (`stone_kind`) does not read alone: "zirconia" is short
# for cubic zirconia.
_ALIASES: dict[str, str] = {"zirconia": "cubic zirconia", "zirconias": "cubic zirconia"}

PRECIOUS_METAL_WORDS = frozenset({"gold", "silver", "platinum", "palladium", "sterling", "britannia"})
# A fineness number used as a metal ("925 ring", "solid 750").
FINENESS_MARKS = frozenset({"375", "585", "750", "916", "925", "950", "999"})
# Words after a precious-metal word that say what the piece really is.
_METAL_QUALIFIERS_AFTER = frozenset(
    {
        "plated", "plate", "plating", "filled", "fill", "tone", "toned", "tones", "coloured",
        "colored", "colour", "color", "colours", "colors", "effect", "finish", "finished",
        "look", "dipped", "coated",
    }
)  # fmt: skip
# Words before it, with "in"/"with"/"of" between ("plated in 18ct gold", "a layer of gold").
_METAL_QUALIFIERS_BEFORE = frozenset(
    {
        "plated",
        "plating",
        "electroplated",
        "coated",
        "dipped",
        "finished",
        "layer",
        "flash",
        "flashed",
        "filled",
    }
)
_METAL_COLOURS = frozenset({"yellow", "white", "rose", "red", "green", "pink", "black"})
# Metal and jewellery nouns: a phrase about a stone does not reach back past them.
_OTHER_NOUNS = frozenset(
    {
        *PRECIOUS_METAL_WORDS, "brass", "copper", "bronze", "steel", "titanium", "pewter",
        "metal", "alloy", "ring", "rings", "band", "bands", "setting", "settings", "mount",
        "earring", "earrings", "stud", "studs", "necklace", "pendant", "chain", "bracelet",
        "bangle", "brooch", "cufflinks", "anklet", "charm", "piece", "pieces", "design",
        "craftsmanship", "silk", "wire", "shank", "claw", "claws", "prong", "prongs",
    }
)  # fmt: skip
_DETERMINERS = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "our", "your", "my", "his", "her",
        "their", "its", "each", "every", "some", "any", "no", "all", "both", "either",
    }
)  # fmt: skip
_PREPOSITIONS = frozenset(
    {
        "with", "of", "in", "on", "at", "by", "for", "from", "to", "into", "onto", "over",
        "under", "around", "beside", "between", "among", "without", "within", "through",
        "featuring", "across", "above", "below", "beneath", "near", "inside", "about", "per",
        "via", "like", "than", "as",
    }
)  # fmt: skip
_CONJUNCTIONS = frozenset(
    {"and", "or", "but", "nor", "yet", "so", "while", "whereas", "plus", "&", "because", "although"}
)
_RELATIVES = frozenset({"which", "that", "who", "whose"})
_COPULAS = frozenset(
    {"is", "are", "was", "were", "be", "been", "being", "remains", "remain", "stays", "stay", "'s"}
)
_INTENSIFIERS = frozenset(
    {
        "100%", "100", "%", "completely", "totally", "truly", "entirely", "fully", "absolutely",
        "certified", "guaranteed", "always", "very", "really", "all", "so", "also", "both",
        "genuinely", "100-percent", "certainly", "definitely", "100percent", "percent",
    }
)  # fmt: skip
_NEGATIONS = frozenset({"not", "never", "no", "non", "isn't", "aren't", "isnt", "arent", "nor"})
_VERBS = frozenset(
    {
        "has", "have", "had", "features", "feature", "holds", "hold", "sits", "sit", "set",
        "sets", "shows", "show", "makes", "make", "made", "gives", "give", "catches", "sparkles",
        "sparkle", "shines", "shine", "looks", "it", "they", "we", "i", "you", "will", "would",
        "can", "could", "should", "may", "might", "must", "do", "does", "did",
    }
)  # fmt: skip
# Tokens that end a noun phrase when reading back from its noun.
_PHRASE_STOPS = (
    _DETERMINERS | _PREPOSITIONS | _CONJUNCTIONS | _RELATIVES | _COPULAS | _VERBS | _COMPARISON_BEFORE
)
_CLAUSE_BREAKS = frozenset({",", "(", ")", "—", "–", ":", '"', "“", "”"})
_SENTENCE_BREAKS = frozenset({".", "!", "?", ";", "…", "\n"})

# --- tokens ---------------------------------------------------------------------------------------

# A number with its unit ("0.5ct", "18ct", "100%"), a word (with an apostrophe), or one mark.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*\s?%|\d+(?:[.,]\d+)*[a-z]*|[a-z]+(?:['’][a-z]+)?|\n|[^\sa-z0-9]")
# Gold's carat marks (not a stone's carat weight: "1ct diamond").
_GOLD_CARATS = ("9", "10", "14", "18", "22", "24")
_CARAT_MARK = re.compile(r"(?:9|10|14|18|22|24)(?:ct|kt|k|carat|carats|karat|karats)")
_CARAT_UNITS = frozenset({"ct", "kt", "k", "carat", "carats", "karat", "karats"})


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("zes", "xes", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Lower-case tokens; hyphens and slashes read as spaces ("lab-grown" is "lab grown")."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"(?<=[a-z0-9])[-/‐‑](?=[a-z0-9])", " ", text)
    text = text.replace("...", "…")
    return [t.replace(" ", "") for t in _TOKEN.findall(text)]


def sentences(text: str) -> list[list[str]]:
    """The text's sentences, each a list of tokens (sentence marks dropped)."""
    found: list[list[str]] = [[]]
    for token in tokens(text):
        if token in _SENTENCE_BREAKS:
            if found[-1]:
                found.append([])
        else:
            found[-1].append(token)
    return [s for s in found if s]


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
                    if not _has_precious(listing.metals)
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


# --- metals ---------------------------------------------------------------------------------------


def _has_precious(metals: Sequence[Metal]) -> bool:
    return any(metal.is_precious for metal in metals)


def _vermeil_allowed(metals: Sequence[Metal]) -> bool:
    return any(metal.metal is MetalType.SILVER and (metal.fineness or 0) >= 925 for metal in metals)


def _is_carat_mark(tokens_: Sequence[str], i: int) -> bool:
    """ "18ct", "9k", or "18" followed by "carat"."""
    token = tokens_[i]
    if _CARAT_MARK.fullmatch(token):
        return True
    return token in _GOLD_CARATS and i + 1 < len(tokens_) and tokens_[i + 1] in _CARAT_UNITS


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
        or tokens_[start - 1] in _METAL_COLOURS
        or tokens_[start - 1] in {"solid", "pure", "fine"}
    ):
        start -= 1
    end = i
    while end + 1 < len(tokens_) and (
        _is_metal_word(tokens_, end + 1)
        or tokens_[end + 1] in _METAL_COLOURS
        or tokens_[end + 1] in _CARAT_UNITS
    ):
        end += 1
    return start, end


def _metal_word_qualified(tokens_: Sequence[str], i: int) -> bool:
    start, end = _metal_run(tokens_, i)
    after = tokens_[end + 1] if end + 1 < len(tokens_) else ""
    if after in _METAL_QUALIFIERS_AFTER:
        return True
    j = start - 1
    if j >= 0 and tokens_[j] in {"in", "with", "of"}:
        j -= 1
        while j >= 0 and tokens_[j] in {"a", "an", "thin", "fine", "micron", "microns"}:
            j -= 1
    if j >= 0 and tokens_[j] in _METAL_QUALIFIERS_BEFORE:
        return True
    # "not gold", "no silver", "nickel- and silver-free"
    if start > 0 and tokens_[start - 1] in _NEGATIONS | {"without"}:
        return True
    return after == "free"


def metal_description_problems(text: str, metals: Sequence[Metal]) -> list[str]:
    """The precious-metal words a piece with no precious metal may not use ("solid 18ct gold"
    on brass), and "vermeil" unless over silver of at least 925, in the order they appear."""
    problems: list[str] = []
    no_precious = not _has_precious(metals)
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
    for words in _LAB_QUALIFIERS:
        start = i - len(words) + 1
        if start >= 0 and tuple(tokens_[start : i + 1]) == words:
            return start
    return None


def _lab_qualifier_starting_at(tokens_: Sequence[str], i: int) -> bool:
    return any(tuple(tokens_[i : i + len(words)]) == words for words in _LAB_QUALIFIERS)


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
    return j >= 0 and tokens_[j] in _NEGATIONS


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
            spans=frozenset(tuple(_singular(t) for t in tokens(stone.type)) for stone in stones),
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
            if tuple(_singular(w) for w in words) in self.spans:
                return whole
            return None
        word = words[0]
        if _singular(word) in GENERIC_STONE_NOUNS:
            return "stone"
        kind = _ALIASES.get(word) or stone_kind(word)
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
        if token in _IMITATION_BEFORE:
            mention.imitation = True
            j -= 1
            continue
        if token == ",":
            # A list of adjectives ("genuine, hand-picked diamond") goes on; a list of nouns stops.
            if j > 0 and (sentence[j - 1] in _OTHER_NOUNS or (j - 1) in mention_ends):
                break
            j -= 1
            continue
        if token in _PHRASE_STOPS or token in _OTHER_NOUNS or token in _CLAUSE_BREAKS or j in mention_ends:
            k = j - 1 if token in _DETERMINERS else j
            mention.compared = k >= 0 and _is_comparison(sentence, k)
            break
        j -= 1


def _is_comparison(sentence: Sequence[str], k: int) -> bool:
    """Whether token k introduces a stone the piece is compared with."""
    token = sentence[k]
    if token in _COMPARISON_BEFORE:
        return True
    if token == "to":
        return k > 0 and sentence[k - 1] in _COMPARED_TO
    # "as hard as natural diamond"
    return token == "as" and "as" in sentence[max(0, k - 3) : k]


def _read_after(sentence: Sequence[str], mention: Mention) -> None:
    """Words right after the name: "diamond simulant", "diamond (lab-grown)", "diamond-look"."""
    j = mention.end + 1
    if j < len(sentence) and sentence[j] in _IMITATION_AFTER | _COMPARISON_AFTER:
        mention.imitation = True
        return
    while j < len(sentence) and sentence[j] in {"(", ",", "—", "–", ":", "-"}:
        j += 1
    if j < len(sentence) and _lab_qualifier_starting_at(sentence, j):
        mention.lab = True
    elif j < len(sentence) and sentence[j] in _IMITATION_BEFORE | _IMITATION_AFTER:
        mention.imitation = True
    elif j > mention.end + 1:
        # Apposition: "diamonds, genuine and conflict-free".
        while j < len(sentence) and sentence[j] in _INTENSIFIERS:
            j += 1
        claim = _claim_at(sentence, j) if j < len(sentence) else None
        if claim is not None and _ends_clause(sentence, j) and not _negated(sentence, claim[1]):
            mention.claims.append(claim[0])


def _ends_clause(sentence: Sequence[str], i: int) -> bool:
    after = sentence[i + 1] if i + 1 < len(sentence) else None
    return (
        after is None
        or after in _CLAUSE_BREAKS
        or after in _CONJUNCTIONS
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
        if token in _CLAUSE_BREAKS or token in _CONJUNCTIONS:
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
        if token not in _COPULAS:
            continue
        j = i + 1
        negated = False
        while j < len(sentence) and (sentence[j] in _INTENSIFIERS or sentence[j] in _NEGATIONS):
            negated = negated or sentence[j] in _NEGATIONS
            j += 1
        if j >= len(sentence):
            continue
        lab = _lab_qualifier_starting_at(sentence, j)
        claim = _claim_at(sentence, j)
        imitation = sentence[j] in _IMITATION_BEFORE | _IMITATION_AFTER
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
