"""The README's settings table is generated from the settings classes and current."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from scripts.settings_table import (
    DIRECT,
    class_env_names,
    collect,
    direct_env_reads,
    render_table,
    replace_table,
    settings_classes,
)

ROOT = Path(__file__).resolve().parents[2]


def test_readme_settings_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert replace_table(readme, render_table()) == readme, (
        "the settings table in README.md is stale: run `make settings-table` "
        "(python -m scripts.settings_table --write README.md)"
    )


def test_every_setting_is_described() -> None:
    undescribed = sorted(row.env for row in collect() if not row.description.strip())
    assert not undescribed, f"give these settings a Field(description=...): {undescribed}"


def test_every_service_setting_is_in_the_table() -> None:
    table = render_table()
    for name, cls in settings_classes().items():
        for env in class_env_names(cls):
            assert f"| `{env}` |" in table, f"{name}'s {env} is missing from the table"


def test_direct_environment_reads_are_documented_and_current() -> None:
    reads = direct_env_reads()
    declared = set().union(*(class_env_names(cls) for cls in settings_classes().values()))
    undocumented = sorted(reads - declared - set(DIRECT))
    assert not undocumented, (
        f"{undocumented} are read from os.environ but not documented: make them settings "
        f"fields or describe them in scripts/settings_table.py DIRECT"
    )
    stale = sorted(set(DIRECT) - reads - declared)
    assert not stale, f"DIRECT in scripts/settings_table.py describes unread variables {stale}"


def test_env_names_follow_pydantic_settings_rules() -> None:
    class Example(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="MARKET_")

        plain: int = Field(1, description="x")
        aliased: int = Field(2, validation_alias="EXAMPLE_PORT", description="x")
        either: int = Field(3, validation_alias=AliasChoices("ONE_NAME", "other_name"), description="x")

    assert set(class_env_names(Example)) == {"MARKET_PLAIN", "EXAMPLE_PORT", "ONE_NAME", "OTHER_NAME"}
