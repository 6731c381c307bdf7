"""References people can read aloud: `FF-7K3D-92QX` for an order, `FF-7K3D-92QX-1` for the
first of its maker orders (docs/domain.md, References).

An order's reference is drawn at random from Crockford's base32 alphabet (no I, L, O or U, so
nothing is mistaken for 1 or 0 when read out or typed); the store's unique index is the check
against a collision, and a taken reference is drawn again (`usecases.orders`). A maker order's
reference is its order's plus its position among the order's maker orders, given once when the
maker orders are created and never changed.
"""

from __future__ import annotations

import re
import secrets

# Crockford's base32: digits and letters without I, L, O, U.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "FF"
# 32^8 ≈ 1.1 × 10^12 references: a collision is rare, and retried when it happens.
REFERENCE_CHARS = 8
_GROUP = f"[{REFERENCE_ALPHABET}]{{4}}"
ORDER_REFERENCE_PATTERN = re.compile(rf"^{REFERENCE_PREFIX}-{_GROUP}-{_GROUP}$")
MAKER_ORDER_REFERENCE_PATTERN = re.compile(rf"^{REFERENCE_PREFIX}-{_GROUP}-{_GROUP}-[1-9][0-9]*$")
# What a person may type for a character Crockford's alphabet leaves out.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_order_reference() -> str:
    """A fresh random order reference, `FF-XXXX-XXXX`."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_CHARS))
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"


def maker_order_reference(order_reference: str, position: int) -> str:
    """The reference of the order's maker order at `position` (1 for the first created)."""
    if position < 1:
        raise ValueError(f"Maker order positions start at 1, got {position}")
    return f"{order_reference}-{position}"


def order_reference_of(text: str) -> str | None:
    """The order reference a person typed, in its canonical form, or None when it cannot be one.
    Case, spaces and dashes are forgiven, O is read as 0 and I or L as 1 (Crockford's rule), and
    a maker order's reference (`FF-7K3D-92QX-2`) names its order."""
    compact = re.sub(r"[\s-]", "", text.upper())
    if not compact.startswith(REFERENCE_PREFIX):
        return None
    chars = compact[len(REFERENCE_PREFIX) :][:REFERENCE_CHARS].translate(_READ_AS)
    suffix = compact[len(REFERENCE_PREFIX) + REFERENCE_CHARS :]
    if len(chars) != REFERENCE_CHARS or any(c not in REFERENCE_ALPHABET for c in chars):
        return None
    if suffix and not re.fullmatch(r"[1-9][0-9]{0,2}", suffix):
        return None
    return f"{REFERENCE_PREFIX}-{chars[:4]}-{chars[4:]}"
