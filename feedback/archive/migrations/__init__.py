"""Schema migrations: one module per version, `mNNNN_name.py`, each with a STATEMENTS tuple.

The applied version is SQLite's `PRAGMA user_version`; a migration runs in one transaction
together with the bump of that version, so a crash leaves the schema at one version or the next.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def all_migrations() -> list[Migration]:
    migrations = []
    for module_info in pkgutil.iter_modules(__path__):
        if not module_info.name.startswith("m"):
            continue
        version = int(module_info.name[1:5])
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        migrations.append(Migration(version, module_info.name, tuple(module.STATEMENTS)))
    migrations.sort(key=lambda migration: migration.version)
    return migrations
