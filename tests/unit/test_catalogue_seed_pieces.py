"""The demo pieces obey the marketplace's rules (issue 13, item 8): an engagement is marked with
a ring, so no other piece is tagged for it; and the demo data is the same on every run."""

from __future__ import annotations

from services.catalogue.seed import _pieces
from services.makers.seed import DEMO_MAKERS


def demo_pieces() -> list[tuple[object, dict, float]]:
    return [piece for index, maker in enumerate(DEMO_MAKERS) for piece in _pieces(maker, index)]


def test_only_rings_are_tagged_for_an_engagement() -> None:
    pieces = [fields for _, fields, _ in demo_pieces()]
    engagement = [fields for fields in pieces if "engagement" in fields["occasions"]]
    assert engagement  # rings still are
    assert {fields["category"] for fields in engagement} == {"ring"}
    assert any(fields["category"] == "cufflinks" for fields in pieces)
    assert all(fields["occasions"] for fields in pieces)


def test_the_demo_pieces_are_the_same_on_every_run() -> None:
    assert demo_pieces() == demo_pieces()
