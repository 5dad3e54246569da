"""The local instance's event log: Dagster's SQLite event log, with its database connections kept open.

Dagster's ``SqliteEventLogStorage`` creates an engine, connects and disconnects
for every write, and a run writes one to four times per event (its own
database, the index, the asset check tables). A daily run stores about 360
events, so that was about 7 ms an event and 2.5 s a run. Here each database
keeps a small connection pool, the newest few databases at a time, and a
commit does not wait for the disk: 2 ms an event. The files, their schema and
their locking are Dagster's own, so ``dagster dev`` and any instance reading
the same folder see the same history.
``instance.open_instance`` puts it in place for the CLI's runs; ``dagster.yaml``
does not name it. ``LEAD_SCORING_POOLED_EVENT_LOG=false`` (``open_instance(home,
pooled=False)``) keeps Dagster's own. It subclasses Dagster internals
(``SqliteEventLogStorage._connect`` and its helpers): ``docs/platform.md`` lists
them, ``tests/unit/test_upgrade_canaries.py`` checks them.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

OPEN_DATABASES = 8  # a run's own database and the index, with room for readers of older runs


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # newest last
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:  # as in Dagster's: one statement at a time per storage
            with self._engine(shard).connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=2,
                max_overflow=8,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _commit_without_waiting_for_the_disk)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_DATABASES:
            self._engines.popitem(last=False)[1].dispose()
        return engine

    def dispose(self) -> None:
        while self._engines:
            self._engines.popitem()[1].dispose()
        super().dispose()


def _commit_without_waiting_for_the_disk(dbapi_connection, _record) -> None:
    """WAL with ``synchronous=NORMAL``: a commit no longer waits for the disk (2.9 -> 2.0 ms an event).

    The database stays consistent whatever happens; a power cut may lose the last
    events written before it (SQLite's documented trade-off). That is run history on
    this machine; the warehouse, MLflow and the models are not in these files.
    """
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
