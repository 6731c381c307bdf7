"""Countries, as ISO 3166-1 alpha-2 codes (GB, FR, US), checked against pycountry: a maker's
location and a parcel's destination are both one of these."""

from __future__ import annotations

from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

ISO_3166_ALPHA_2 = frozenset(country.alpha_2 for country in pycountry.countries)


def _country_code(value: str) -> str:
    if value not in ISO_3166_ALPHA_2:
        raise PydanticCustomError("invalid_country", "Must be an ISO 3166-1 alpha-2 country code, e.g. GB")
    return value


# The codes are documented in the JSON schema; `_country_code` refuses any other, with its own
# error type.
CountryCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=2),
    Field(json_schema_extra={"enum": sorted(ISO_3166_ALPHA_2)}),
    AfterValidator(_country_code),
]
