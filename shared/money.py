"""Money: integer minor units and an ISO 4217 currency. Never floats.

The one Money of the marketplace: the event contracts, the catalogue's prices and the orders'
totals, commissions and ledger all use it. Constructed with keywords,
`Money(amount=1200, currency="GBP")`; a service that needs a narrower amount (a listing price
must be positive) adds its own check on top, never a second Money class.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_ABS_AMOUNT = 10**12

ISO_4217_CODES = frozenset(currency.alpha_3 for currency in pycountry.currencies)


def _iso_4217(code: str) -> str:
    if code not in ISO_4217_CODES:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


CurrencyCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code", examples=["GBP"]),
    AfterValidator(_iso_4217),
]


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
