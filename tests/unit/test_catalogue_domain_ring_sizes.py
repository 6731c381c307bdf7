"""Ring sizes and carats (services/catalogue/domain/ring_sizes.py): UK and US sizes and millimetres
converted both ways across the table, lenient UK labels, and carats to grams."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.catalogue.domain import (
    RING_SIZE_MAX_MM,
    RING_SIZE_MIN_MM,
    RING_SIZES,
    carats_to_grams,
    grams_to_carats,
    mm_for_uk,
    mm_for_us,
    uk_size,
    us_size,
)

# --- carats ---------------------------------------------------------------------------------------


def test_a_carat_is_a_fifth_of_a_gram() -> None:
    assert carats_to_grams(Decimal("1")) == Decimal("0.200")
    assert carats_to_grams(Decimal("0.25")) == Decimal("0.050")
    assert grams_to_carats(Decimal("0.2")) == Decimal("1.00")


def test_carats_from_grams_are_never_rounded_up() -> None:
    assert grams_to_carats(Decimal("0.1999")) == Decimal("0.99")


# --- ring sizes -----------------------------------------------------------------------------------


def test_us_7_is_uk_n_half_is_about_54_4_mm() -> None:
    assert abs(mm_for_uk("N½") - Decimal("54.4")) < Decimal("0.1")
    assert abs(mm_for_us(7) - Decimal("54.4")) < Decimal("0.1")
    assert uk_size(Decimal("54.4")) == "N½"
    assert us_size(Decimal("54.4")) == 7.0
    assert uk_size(mm_for_us(7)) == "N½"


def test_the_table_spans_about_38_to_76_mm_and_is_monotonic() -> None:
    assert RING_SIZES[0].uk == "A" and RING_SIZES[-1].uk == "Z+6"
    assert Decimal("37") < RING_SIZE_MIN_MM <= Decimal("38")
    assert Decimal("76") <= RING_SIZE_MAX_MM < Decimal("77")
    for smaller, larger in itertools.pairwise(RING_SIZES):
        assert smaller.mm < larger.mm
        assert smaller.us < larger.us


def test_uk_steps_are_about_1_25_mm_and_us_steps_about_2_55_mm() -> None:
    assert mm_for_uk("O") - mm_for_uk("N") == Decimal("1.25")
    assert mm_for_uk("N½") - mm_for_uk("N") == Decimal("0.625")
    assert mm_for_uk("Z+1") - mm_for_uk("Z") == Decimal("1.25")
    assert abs(mm_for_us(8) - mm_for_us(7) - Decimal("2.55")) < Decimal("0.05")


@pytest.mark.parametrize("size", RING_SIZES, ids=lambda size: size.uk)
def test_every_uk_size_round_trips(size: Any) -> None:
    assert uk_size(mm_for_uk(size.uk)) == size.uk


@pytest.mark.parametrize("us", [n / 4 for n in range(2, 63)])
def test_us_quarter_sizes_round_trip(us: float) -> None:
    assert us_size(mm_for_us(us)) == us


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("N½", "N½"),
        ("n 1/2", "N½"),
        ("N1/2", "N½"),
        ("N.5", "N½"),
        ("z+1", "Z+1"),
        ("Z+2 1/2", "Z+2½"),
        (" a ", "A"),
    ],
)
def test_uk_labels_are_read_leniently(label: str, expected: str) -> None:
    assert mm_for_uk(label) == mm_for_uk(expected)


@pytest.mark.parametrize("label", ["", "AA", "Z+7", "Z+6½", "N¼", "7"])
def test_unknown_uk_sizes_are_refused(label: str) -> None:
    with pytest.raises(ValueError):
        mm_for_uk(label)


@pytest.mark.parametrize("mm", [Decimal("37.4"), Decimal("76.3"), 0, 100])
def test_sizes_outside_the_table_are_refused(mm: Decimal | int) -> None:
    with pytest.raises(ValueError):
        uk_size(mm)
    with pytest.raises(ValueError):
        us_size(mm)


def test_between_two_uk_sizes_the_nearer_wins_and_a_tie_goes_up() -> None:
    assert uk_size(Decimal("53.9")) == "N"
    assert uk_size(Decimal("54.1")) == "N½"
    assert uk_size(Decimal("54.0625")) == "N½"
    assert uk_size(54.4) == uk_size(Decimal("54.4"))


@given(
    st.decimals(min_value=RING_SIZE_MIN_MM, max_value=RING_SIZE_MAX_MM, places=3),
    st.decimals(min_value=RING_SIZE_MIN_MM, max_value=RING_SIZE_MAX_MM, places=3),
)
def test_conversions_are_monotonic(a: Decimal, b: Decimal) -> None:
    smaller, larger = sorted((a, b))
    labels = [size.uk for size in RING_SIZES]
    assert labels.index(uk_size(smaller)) <= labels.index(uk_size(larger))
    assert us_size(smaller) <= us_size(larger)
    assert abs(mm_for_uk(uk_size(smaller)) - smaller) <= Decimal("0.3125")
