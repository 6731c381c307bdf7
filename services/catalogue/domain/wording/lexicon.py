"""The words the wording rules know: claims of naturalness, lab-grown and imitation
qualifiers, gem and metal names, fineness marks, and the function words that bound a phrase;
and how a text is cut into tokens and sentences."""

from __future__ import annotations

import re

# --- vocabulary -----------------------------------------------------------------------------------

# Words that say a stone is natural: only natural stones may carry them.
NATURAL_CLAIMS = frozenset({"natural", "real", "genuine", "authentic", "precious", "mined"})
# Words (after hyphens are read as spaces) that disclose a lab-grown stone; "created" alone is
# not enough.
LAB_QUALIFIERS: tuple[tuple[str, ...], ...] = (
    ("laboratory", "grown"),
    ("laboratory", "created"),
    ("lab", "grown"),
    ("lab", "created"),
    ("synthetic",),
)
# Words that disclose an imitation, in front of the name ("imitation pearl", "simulated
# diamond") or after it ("diamond simulant").
IMITATION_BEFORE = frozenset({"imitation", "simulated", "simulant", "faux"})
IMITATION_AFTER = frozenset({"simulant", "simulants", "imitation", "imitations"})
# "like a diamond", "diamond-look": a comparison, not a name.
COMPARISON_AFTER = frozenset({"look", "looks", "like", "style", "alternative", "alternatives"})
# A stone named after one of these is another stone the piece is compared with ("identical to
# mined diamonds", "unlike natural sapphires", "as hard as natural diamond").
COMPARISON_BEFORE = frozenset(
    {"like", "unlike", "than", "versus", "vs", "resembling", "imitating", "rivals", "rival", "rivalling"}
)
COMPARED_TO = frozenset(
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
ALIASES: dict[str, str] = {"zirconia": "cubic zirconia", "zirconias": "cubic zirconia"}

PRECIOUS_METAL_WORDS = frozenset({"gold", "silver", "platinum", "palladium", "sterling", "britannia"})
# A fineness number used as a metal ("925 ring", "solid 750").
FINENESS_MARKS = frozenset({"375", "585", "750", "916", "925", "950", "999"})
# Words after a precious-metal word that say what the piece really is.
METAL_QUALIFIERS_AFTER = frozenset(
    {
        "plated", "plate", "plating", "filled", "fill", "tone", "toned", "tones", "coloured",
        "colored", "colour", "color", "colours", "colors", "effect", "finish", "finished",
        "look", "dipped", "coated",
    }
)  # fmt: skip
# Words before it, with "in"/"with"/"of" between ("plated in 18ct gold", "a layer of gold",
# "gilded with gold leaf").
METAL_QUALIFIERS_BEFORE = frozenset(
    {
        "gilded",
        "gilt",
        "gilding",
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
METAL_COLOURS = frozenset({"yellow", "white", "rose", "red", "green", "pink", "black"})
# Colour names made with a metal word: "silver grey" (a grey) says a colour, not a metal.
METAL_COLOUR_NAMES_AFTER = frozenset({"grey", "gray", "greys", "grays"})
# Gold leaf is real gold beaten thin and laid on a surface: "with gold leaf", "gold leaf accents"
# say how the piece is finished, not that it is gold. Followed by the piece itself ("gold leaf
# pendant") it reads as a gold pendant shaped like a leaf, which is refused.
LEAF_WORDS = frozenset({"leaf", "leaves"})
PIECE_NOUNS = frozenset(
    {
        "ring", "rings", "band", "bands", "signet", "earring", "earrings", "stud", "studs",
        "hoop", "hoops", "necklace", "necklaces", "pendant", "pendants", "locket", "chain",
        "chains", "bracelet", "bracelets", "bangle", "bangles", "cuff", "cuffs", "brooch",
        "brooches", "cufflinks", "anklet", "anklets", "charm", "charms", "piece", "pieces",
        "jewellery", "jewelry", "design", "motif", "shape", "shaped",
    }
)  # fmt: skip
# Metal and jewellery nouns: a phrase about a stone does not reach back past them.
OTHER_NOUNS = frozenset(
    {
        *PRECIOUS_METAL_WORDS, "brass", "copper", "bronze", "steel", "titanium", "pewter",
        "metal", "alloy", "ring", "rings", "band", "bands", "setting", "settings", "mount",
        "earring", "earrings", "stud", "studs", "necklace", "pendant", "chain", "bracelet",
        "bangle", "brooch", "cufflinks", "anklet", "charm", "piece", "pieces", "design",
        "craftsmanship", "silk", "wire", "shank", "claw", "claws", "prong", "prongs",
    }
)  # fmt: skip
DETERMINERS = frozenset(
    {
        "a", "an", "the", "this", "that", "these", "those", "our", "your", "my", "his", "her",
        "their", "its", "each", "every", "some", "any", "no", "all", "both", "either",
    }
)  # fmt: skip
PREPOSITIONS = frozenset(
    {
        "with", "of", "in", "on", "at", "by", "for", "from", "to", "into", "onto", "over",
        "under", "around", "beside", "between", "among", "without", "within", "through",
        "featuring", "across", "above", "below", "beneath", "near", "inside", "about", "per",
        "via", "like", "than", "as",
    }
)  # fmt: skip
CONJUNCTIONS = frozenset(
    {"and", "or", "but", "nor", "yet", "so", "while", "whereas", "plus", "&", "because", "although"}
)
RELATIVES = frozenset({"which", "that", "who", "whose"})
COPULAS = frozenset(
    {"is", "are", "was", "were", "be", "been", "being", "remains", "remain", "stays", "stay", "'s"}
)
INTENSIFIERS = frozenset(
    {
        "100%", "100", "%", "completely", "totally", "truly", "entirely", "fully", "absolutely",
        "certified", "guaranteed", "always", "very", "really", "all", "so", "also", "both",
        "genuinely", "100-percent", "certainly", "definitely", "100percent", "percent",
    }
)  # fmt: skip
NEGATIONS = frozenset({"not", "never", "no", "non", "isn't", "aren't", "isnt", "arent", "nor"})
VERBS = frozenset(
    {
        "has", "have", "had", "features", "feature", "holds", "hold", "sits", "sit", "set",
        "sets", "shows", "show", "makes", "make", "made", "gives", "give", "catches", "sparkles",
        "sparkle", "shines", "shine", "looks", "it", "they", "we", "i", "you", "will", "would",
        "can", "could", "should", "may", "might", "must", "do", "does", "did",
    }
)  # fmt: skip
# Tokens that end a noun phrase when reading back from its noun.
PHRASE_STOPS = DETERMINERS | PREPOSITIONS | CONJUNCTIONS | RELATIVES | COPULAS | VERBS | COMPARISON_BEFORE
CLAUSE_BREAKS = frozenset({",", "(", ")", "—", "–", ":", '"', "“", "”"})
SENTENCE_BREAKS = frozenset({".", "!", "?", ";", "…", "\n"})

# --- tokens ---------------------------------------------------------------------------------------

# A number with its unit ("0.5ct", "18ct", "100%"), a word (with an apostrophe), or one mark.
TOKEN = re.compile(r"\d+(?:[.,]\d+)*\s?%|\d+(?:[.,]\d+)*[a-z]*|[a-z]+(?:['’][a-z]+)?|\n|[^\sa-z0-9]")
# Gold's carat marks (not a stone's carat weight: "1ct diamond").
GOLD_CARATS = ("9", "10", "14", "18", "22", "24")
CARAT_MARK = re.compile(r"(?:9|10|14|18|22|24)(?:ct|kt|k|carat|carats|karat|karats)")
CARAT_UNITS = frozenset({"ct", "kt", "k", "carat", "carats", "karat", "karats"})


def tokens(text: str) -> list[str]:
    """Lower-case tokens; hyphens and slashes read as spaces ("lab-grown" is "lab grown")."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"(?<=[a-z0-9])[-/‐‑](?=[a-z0-9])", " ", text)
    text = text.replace("...", "…")
    return [t.replace(" ", "") for t in TOKEN.findall(text)]


def sentences(text: str) -> list[list[str]]:
    """The text's sentences, each a list of tokens (sentence marks dropped)."""
    found: list[list[str]] = [[]]
    for token in tokens(text):
        if token in SENTENCE_BREAKS:
            if found[-1]:
                found.append([])
        else:
            found[-1].append(token)
    return [s for s in found if s]
