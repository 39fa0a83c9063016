"""Schema migrations: `flask --app portal db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head"):
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str):
    command.downgrade(alembic_config(url), revision)
