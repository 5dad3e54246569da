"""Throw-away Postgres databases on the local server (127.0.0.1:5432, see ../shared/NOTES.md)."""

import contextlib
import os
import uuid
from typing import Iterator

import psycopg2

SERVER = os.environ.get("LEAD_SCORING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def _admin(sql: str) -> None:
    con = psycopg2.connect(f"{SERVER}/postgres")
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


@contextlib.contextmanager
def fresh_databases(prefix: str, *names: str) -> Iterator[dict[str, str]]:
    """Uniquely named databases (one per name), yielded as URLs and dropped afterwards, connections and all."""
    unique = f"{prefix}_{uuid.uuid4().hex[:10]}"
    databases = {name: f"{unique}_{name}" for name in names}
    try:
        for database in databases.values():
            _admin(f"create database {database}")
        yield {name: f"{SERVER}/{database}" for name, database in databases.items()}
    finally:
        for database in databases.values():
            _admin(f"drop database if exists {database} with (force)")
