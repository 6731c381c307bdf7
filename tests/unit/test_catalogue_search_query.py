"""Reading a search's text: words, quoted phrases, exclusions, `or`, stop words, synonym groups
from the maintained file; typo distances and the edit distance behind did_you_mean."""

from __future__ import annotations

import pytest

from services.catalogue.search.corrections import edit_distance
from services.catalogue.search.query import (
    Either,
    Quoted,
    Synonyms,
    TextQuery,
    Word,
    parse_text,
    typo_distance,
)
from services.catalogue.search.synonyms import load, longest_at, parse, words

GROUPS = parse(
    """
    # a comment
    sterling, silver 925
    lab diamond, lab-grown diamond   # a trailing comment
    """
)


def test_the_synonyms_file_reads_into_groups_both_ways() -> None:
    group = (("sterling",), ("silver", "925"))
    assert GROUPS[("sterling",)] == GROUPS[("silver", "925")] == group
    assert GROUPS[("lab", "grown", "diamond")] == (("lab", "diamond"), ("lab", "grown", "diamond"))
    with pytest.raises(ValueError, match="two synonym groups"):
        parse("sterling, silver 925\nsterling, argent")


def test_the_maintained_file_holds_the_jewellery_words() -> None:
    groups = load()
    for phrase in ["sterling", "18ct", "9ct", "14ct", "lab diamond", "moissanite", "engagement"]:
        assert tuple(words(phrase)) in groups, phrase
    assert ("silver", "925") in groups[("sterling",)]
    assert ("gold", "750") in groups[("18ct",)]
    # A misspelling is for typo tolerance, never a synonym.
    assert ("earings",) not in groups


def test_the_longest_phrase_wins() -> None:
    query = ["lab", "grown", "diamond", "ring"]
    assert longest_at(query, 0, GROUPS) == (3, GROUPS[("lab", "grown", "diamond")])
    assert longest_at(query, 1, GROUPS) is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (None, TextQuery()),
        ("the", TextQuery()),  # stop words alone filter nothing
        ("Blue  SAPPHIRE", TextQuery([Word("blue"), Word("sapphire")])),
        ("rings for the wedding", TextQuery([Word("rings"), Word("wedding")])),
        ('"old cut" diamond', TextQuery([Quoted(("old", "cut")), Word("diamond")])),
        ('"ring"', TextQuery([Word("ring")])),
        ("diamond -lab", TextQuery([Word("diamond")], [Word("lab")])),
        ('ring -"rose gold"', TextQuery([Word("ring")], [Quoted(("rose", "gold"))])),
        ("signet or sapphire or opal", TextQuery([Either((Word("signet"), Word("sapphire"), Word("opal")))])),
        ("or ring", TextQuery([Word("ring")])),
        ("sterling ring", TextQuery([Synonyms(GROUPS[("sterling",)]), Word("ring")])),
        ("lab-grown diamond", TextQuery([Synonyms(GROUPS[("lab", "diamond")])])),
        ("silver 925", TextQuery([Synonyms(GROUPS[("sterling",)])])),
        ("-", TextQuery([])),
    ],
)
def test_text_is_read_into_clauses(q: str | None, expected: TextQuery) -> None:
    assert parse_text(q, GROUPS) == expected


@pytest.mark.parametrize(
    ("word", "distance"), [("ring", 0), ("opals", 1), ("sapphire", 1), ("aquamarine", 2)]
)
def test_one_edit_from_five_letters_two_from_nine(word: str, distance: int) -> None:
    assert typo_distance(word) == distance


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("ring", "ring", 0),
        ("rnig", "ring", 1),  # two neighbours swapped
        ("saphire", "sapphire", 1),
        ("earings", "earrings", 1),
        ("emrald", "emerald", 1),
        ("necklase", "necklace", 1),
        ("ring", "opal", 3),  # more than the bound: bound + 1
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 2) == distance
