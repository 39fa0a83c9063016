"""Schema migrations keep what is stored, up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect, text

from portal.db import make_engine
from portal.migrations import downgrade, upgrade


def columns(engine, table):
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_attribution_column_is_added_and_removed_keeping_events(database_url):
    downgrade(database_url, "0002")
    engine = make_engine(database_url)
    try:
        assert "attribution_id" not in columns(engine, "events")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO events (created_at, visit_id, type, locale) "
                "VALUES ('2026-11-02 10:00:00', :visit, 'view', 'en')"), {"visit": "a" * 32})
        upgrade(database_url)
        assert "attribution_id" in columns(engine, "events")
        assert "ix_events_attribution" in {index["name"] for index in inspect(engine).get_indexes("events")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT visit_id, attribution_id FROM events")).all() == [
                ("a" * 32, None)]
        downgrade(database_url, "0002")
        assert "attribution_id" not in columns(engine, "events")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT visit_id FROM events")).all() == [("a" * 32,)]
        upgrade(database_url)
    finally:
        engine.dispose()


def test_learned_questions_table_is_added_and_removed(database_url):
    engine = make_engine(database_url)
    try:
        assert "learned_questions" in inspect(engine).get_table_names()
        downgrade(database_url, "0004")
        assert "learned_questions" not in inspect(engine).get_table_names()
        upgrade(database_url)
        assert {"locale", "article_id", "query_key", "query", "visits", "status"} <= columns(
            engine, "learned_questions")
    finally:
        engine.dispose()
