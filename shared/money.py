"""Money: integer minor units and an ISO 4217 currency. Never floats.

The one Money of the marketplace: the event contracts, the catalogue's prices and the orders'
totals, commissions and ledger all use it. Constructed with keywords,
`Money(amount=1200, currency="GBP")`; a service that needs a narrower amount (a listing price
must be positive) adds its own check on top, never a second Money class.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from shared.errors import Violation

MAX_ABS_AMOUNT = 10**12

ISO_4217_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


def _iso_4217(code: str) -> str:
    # Every API reports a code that is not ISO 4217 (lower case, the wrong length, made up) with
    # this one stable error type, `currency_invalid`.
    if code not in ISO_4217_CODES:
        raise PydanticCustomError(
            "currency_invalid", "{code} is not an ISO 4217 currency code", {"code": repr(code[:20])}
        )
    return code


CurrencyCode = Annotated[
    str,
    # The codes are documented, not enforced by pydantic: `_iso_4217` refuses any other, with
    # the stable error type.
    Field(description="ISO 4217 code", examples=["GBP"], json_schema_extra={"enum": sorted(ISO_4217_CODES)}),
    AfterValidator(_iso_4217),
]


def currency_not_accepted(
    currency: str, accepted: Collection[str], loc: tuple[str | int, ...]
) -> Violation | None:
    """`currency_not_accepted` when the marketplace does not take `currency` (its
    `MARKET_CURRENCIES`, given by the caller: domain code stays free of settings)."""
    if currency in accepted:
        return None
    return Violation(
        loc,
        f"{currency} is not accepted here; use {', '.join(sorted(accepted))}",
        "currency_not_accepted",
    )


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(
        strict=True, ge=-MAX_ABS_AMOUNT, le=MAX_ABS_AMOUNT, description="Minor units (pence for GBP)"
    )
    currency: CurrencyCode = "GBP"

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __mul__(self, quantity: int) -> Money:
        # bool is an int; True pieces is a bug, not a quantity.
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError("Money can only be multiplied by a whole number")
        return Money(amount=self.amount * quantity, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def share(self, rate: Decimal) -> Money:
        """rate × self, rounded half up to the minor unit."""
        amount = (Decimal(self.amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Money(amount=int(amount), currency=self.currency)

    @classmethod
    def zero(cls, currency: str = "GBP") -> Money:
        return cls(amount=0, currency=currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], currency: str) -> Money:
        """The sum of `amounts`, all in `currency` (zero when there are none)."""
        result = cls.zero(currency)
        for amount in amounts:
            result += amount
        return result

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot combine {self.currency} with {other.currency}")
