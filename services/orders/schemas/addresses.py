"""Shipping addresses: typed into a body, shown on an order, and a customer's saved ones."""

from __future__ import annotations

import uuid

from pydantic import (
    Field,
)

from services.orders.domain import (
    ShippingAddress,
    to_json,
)
from services.orders.domain.addresses import (
    MAX_CITY_CHARS,
    MAX_LINE_CHARS,
    MAX_NAME_CHARS,
    MAX_POSTCODE_CHARS,
    SavedAddress,
    checked_address,
)
from services.orders.schemas.common import _Body, _View
from shared.countries import CountryCode
from shared.errors import RulesViolated, Violation, rules_violated


class AddressIn(_Body):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    line1: str = Field(min_length=1, max_length=MAX_LINE_CHARS)
    line2: str | None = Field(None, max_length=MAX_LINE_CHARS)
    city: str = Field(min_length=1, max_length=MAX_CITY_CHARS)
    postcode: str = Field(
        min_length=1,
        max_length=MAX_POSTCODE_CHARS,
        description="UK (and GG, JE, IM) postcodes are checked and kept as printed: EC1N 8AA",
    )
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. GB")

    def address(self, where: tuple[str, ...] = ("body", "shipping_address")) -> ShippingAddress:
        """The address as the domain checks and keeps it (422 `postcode_invalid`...), its
        problems located where the body has it."""
        try:
            return checked_address(**self.model_dump())
        except RulesViolated as refused:
            raise rules_violated([Violation(where + v.loc, v.msg, v.code) for v in refused.errors]) from None


class AddressView(_View):
    name: str
    line1: str
    line2: str | None
    city: str
    postcode: str
    country: str


class SavedAddressView(AddressView):
    id: uuid.UUID


def saved_address_view(saved: SavedAddress) -> SavedAddressView:
    return SavedAddressView(id=saved.id, **to_json(saved.address))
