"""Money: integer minor units and an ISO 4217 currency. Never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=-(10**12), le=10**12, description="Minor units (pence for GBP)")
    currency: str = Field("GBP", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __mul__(self, quantity: int) -> Money:
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

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")
