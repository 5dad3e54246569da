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


@contextlib.contextmanager
def login_role(prefix: str) -> Iterator[str]:
    """A uniquely named plain login role (no password: the local server trusts loopback), dropped afterwards.

    Enter it before the databases it is granted in, so that they are dropped first (a role that owns objects
    cannot be dropped)."""
    role = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _admin(f"create role {role} login")
    try:
        yield role
    finally:
        _admin(f"drop role if exists {role}")


def as_role(url: str, role: str) -> str:
    """``url`` (one of :func:`fresh_databases`, as the admin user) connecting as ``role`` instead."""
    return url.replace("://postgres@", f"://{role}@", 1)
