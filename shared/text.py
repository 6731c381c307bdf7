"""Text that can be stored and shown: the input hygiene every service applies to
strings it accepts (no business rules here).

PostgreSQL text cannot hold NUL and UTF-8 cannot encode a lone surrogate, so
either would fail at the database as a 5xx; other control characters only hide
or garble text. Single-line text refuses them all; multi-line text allows line
breaks and tabs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetJsonSchemaHandler,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

# Unicode categories Cc (C0 and C1 controls, DEL) and Cs (surrogates), as one character class:
# a regex search runs in C, where a per-character unicodedata.category() loop cost ~5 % of the
# catalogue's CPU under search load (every stored listing is validated when read).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINE_BREAKS_AND_TABS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


# The same rules as JSON Schema patterns, so the API document says what is refused: every
# character a control but line breaks and tabs (multi-line), none at all (single line), and at
# least the minimum length besides the white space that is trimmed (Rust's White_Space, which
# pydantic-core's strip uses: \x1c-\x1f are controls, not trimmed).
_WHITE_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROLS = r"\x00-\x1f\x7f-\x9f"
_CONTROLS_BUT_LINE_BREAKS_AND_TABS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"


def text_pattern(multi_line: bool, min_length: int) -> str:
    """The JSON Schema pattern of text these rules accept (before trimming): white space either
    side of a core of allowed characters that starts and ends with something else and is at
    least `min_length` long."""
    allowed = f"[^{_CONTROLS_BUT_LINE_BREAKS_AND_TABS if multi_line else _CONTROLS}]"
    edge = allowed[:-1] + _WHITE_SPACE + "]"
    space = f"[{_WHITE_SPACE}]*"
    if min_length == 0:
        return f"^{space}{allowed}*{space}$"
    if min_length == 1:
        return f"^{space}{edge}({allowed}*{edge})?{space}$"
    return f"^{space}{edge}{allowed}{{{min_length - 2},}}{edge}{space}$"


def _at_most(max_length: int) -> BeforeValidator:
    """The length bound holds for the text as sent, before it is trimmed, as the API document's
    maxLength says (so a longer text is not accepted because its padding is trimmed away)."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": max_length},
            )
        return value

    return BeforeValidator(check)


@dataclass(frozen=True)
class _DocumentedPattern:
    """Adds a pattern to a string's JSON schema only (the validators do the refusing)."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


def has_control_characters(value: str, multi_line: bool = False) -> bool:
    return (_CONTROL_BUT_LINE_BREAKS_AND_TABS if multi_line else _CONTROL).search(value) is not None


def _single_line(value: str) -> str:
    if has_control_characters(value):
        raise PydanticCustomError("control_character", "Must not contain control characters")
    return value


def _multi_line(value: str) -> str:
    if has_control_characters(value, multi_line=True):
        raise PydanticCustomError("control_character", "Must not contain control characters")
    return value


@dataclass(frozen=True)
class TextRules(GroupedMetadata):
    """The metadata of a trimmed text type: `Annotated[str, single_line(1, 80)]`.

    Pydantic unpacks it into the constraints it stands for, in this order: trim, bound the
    length, then refuse control characters (so surrounding line breaks are trimmed, not
    refused). Being a value rather than a type made by a function, the annotated alias is a
    real type to mypy.
    """

    min_length: int
    max_length: int
    multi_line: bool

    def __iter__(self) -> Iterator[object]:
        # Pydantic unpacks grouped metadata one level only, so StringConstraints (itself
        # grouped) is unpacked here.
        yield from StringConstraints(
            strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
        )
        # After the constraints, so it wraps them: a before-validator runs ahead of what it wraps.
        yield _at_most(self.max_length)
        yield AfterValidator(_multi_line if self.multi_line else _single_line)
        yield _DocumentedPattern(text_pattern(self.multi_line, self.min_length))


def single_line(min_length: int, max_length: int) -> TextRules:
    """A trimmed one-line string with these length bounds: `Annotated[str, single_line(1, 80)]`."""
    return TextRules(min_length, max_length, multi_line=False)


def multi_line(min_length: int, max_length: int) -> TextRules:
    """A trimmed string that may span lines, with these length bounds:
    `Annotated[str, multi_line(0, 5000)]`."""
    return TextRules(min_length, max_length, multi_line=True)


_HTTP_URL = TypeAdapter(HttpUrl)


def _http_url(value: str) -> str:
    try:
        # Keep the parser's normalised form, so what is stored is exactly what was validated.
        return str(_HTTP_URL.validate_python(value))
    except ValidationError:
        raise PydanticCustomError("invalid_url", "Must be an http or https URL") from None


WebUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(_http_url),
]
