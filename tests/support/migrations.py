"""A service's schema migrated only part of the way, to test a later migration against the rows
an earlier schema held."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from shared.config import ServiceSettings
from shared.migrate import migrate
from shared.service import ServiceDefinition
from tests.support.harness import TestEnvironment

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@asynccontextmanager
async def migrated_before(
    workdir: Path, service: ServiceDefinition, settings_cls: type[SettingsT], first_left_out: str
) -> AsyncIterator[tuple[TestEnvironment, SettingsT, Path]]:
    """A fresh environment whose schema of `service` has every migration named before
    `first_left_out` (e.g. "0003"), and the folder they were applied from, to which a test copies
    the later ones before migrating again."""
    assert service.migrations is not None
    env = TestEnvironment(workdir)
    settings = env.track(settings_cls(namespace=env.namespace, pg_database=env.database))
    folder = workdir / "migrations"
    folder.mkdir()
    for path in sorted(service.migrations.glob("*.sql")):
        if path.name < first_left_out:
            shutil.copy(path, folder)
    await migrate(settings, folder)
    try:
        yield env, settings, folder
    finally:
        await env.teardown()
