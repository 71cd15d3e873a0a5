"""The sweep's result store: an append-only SQLite table keyed by the job's content hash.

Why SQLite (the standard library's :mod:`sqlite3`) and not Parquet: a sweep writes one small
record at a time, from one process, and must survive ``SIGKILL`` between any two of them.
SQLite gives that directly: every record is its own transaction, in write-ahead-log mode
(``journal_mode=WAL``) a committed transaction survives a killed process (the log is replayed
on the next open) and an interrupted one leaves no trace, and ``hash TEXT PRIMARY KEY`` with
``INSERT OR IGNORE`` makes a second record of the same job a no-op, so every job is recorded
exactly once even when two sweeps share a store.  Parquet files are immutable columnar
batches: appending one row means a new file per record (or rewriting), and exactly-once would
need a separate index; it suits analysis, so :meth:`Store.records` returns plain rows that
pandas or pyarrow can load.  No third-party package is needed.

``synchronous=NORMAL`` (WAL) is durable against a killed process; a power cut may lose the
last records (never corrupt the file), which a resumed sweep recomputes.  Triggers refuse
``UPDATE`` and ``DELETE`` on the results: the table is append-only.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import InvalidArgument
from .spec import Job

__all__ = ["STORE_FORMAT", "Store", "StoreError"]

#: Version of the table layout, kept in the ``meta`` table.
STORE_FORMAT = 1


class StoreError(InvalidArgument):
    """The store cannot be opened or is not a sweep store: the message names the file and the fix."""


class Store:
    """An append-only SQLite store of job records (see the module docstring for the choice).

    Parameters
    ----------
    path : str or Path
        The database file (created, with its table, unless ``create=False``).
    create : bool
        ``False``: a missing file is an empty store, and nothing is created (``--status``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d, Store(pathlib.Path(d) / "s.sqlite") as s:
    ...     s.statuses()
    {}
    """

    #: The results table; ``hash`` is the primary key, so ``INSERT OR IGNORE`` records a job once.
    TABLE = """
        CREATE TABLE IF NOT EXISTS results (
            hash TEXT PRIMARY KEY NOT NULL,
            kind TEXT NOT NULL,
            label TEXT NOT NULL,
            params TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
            ok INTEGER,
            result TEXT,
            error TEXT,
            notes TEXT NOT NULL,
            run_id TEXT NOT NULL,
            worker TEXT NOT NULL,
            started REAL NOT NULL,
            finished REAL NOT NULL,
            recorded REAL NOT NULL
        )"""
    _APPEND_ONLY = (
        "CREATE TRIGGER IF NOT EXISTS results_no_update BEFORE UPDATE ON results "
        "BEGIN SELECT RAISE(ABORT, 'the sweep store is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS results_no_delete BEFORE DELETE ON results "
        "BEGIN SELECT RAISE(ABORT, 'the sweep store is append-only'); END",
    )

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        if not create and not self.path.exists():
            return
        self.check_path(self.path)
        try:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {str(self.path)!r} ({exc}); give another --store path") from None
        try:
            tables = self._open(db, create)
        except BaseException:
            db.close()
            raise
        if create or tables:
            self._db = db
        else:
            db.close()  # an empty file: an empty store, left as it is

    def _open(self, db: sqlite3.Connection, create: bool) -> set[str]:
        """Check what the file holds, set it up if ``create``; the names of its tables."""
        try:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and not {"meta", "results"} <= tables:
                raise StoreError(
                    f"{str(self.path)!r} is an SQLite database but not a sweep store (tables: "
                    f"{', '.join(sorted(tables))}); give another --store path"
                )
            if create:  # a read-only open (create=False) changes nothing in the file
                _switch_to_wal(db)
                db.execute("PRAGMA synchronous=NORMAL")
                self._setup(db)
            if create or tables:
                self._check_format(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"store {str(self.path)!r} is not a usable SQLite database ({exc}); give another --store path"
            ) from None
        return tables

    @staticmethod
    def check_path(path: Path) -> None:
        """Refuse a store path that is a directory or lies in a missing directory (one line, the fix)."""
        if path.is_dir():
            raise StoreError(f"store {str(path)!r} is a directory; give a file path (e.g. sweep.sqlite)")
        if not path.parent.is_dir():
            raise StoreError(f"directory {str(path.parent)!r} of the store does not exist; create it first")
        if path.exists() and not path.is_file():
            raise StoreError(f"store {str(path)!r} is not a regular file; give a file path (e.g. sweep.sqlite)")

    def _setup(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (str(STORE_FORMAT),))
            db.execute(self.TABLE)
            for trigger in self._APPEND_ONLY:
                db.execute(trigger)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _check_format(self, db: sqlite3.Connection) -> None:
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        fmt = None if row is None else row[0]
        if fmt != str(STORE_FORMAT):
            raise StoreError(
                f"store {str(self.path)!r} has format {fmt}, this theory writes format {STORE_FORMAT}; "
                "give a new --store path"
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (records are committed as they are written)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        """Execute ``sql``; an SQLite failure (locked beyond the timeout, disk full, ...) is one line."""
        assert self._db is not None
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise StoreError(
                f"store {str(self.path)!r}: {type(exc).__name__}: {exc}; check the file and retry"
            ) from None

    def statuses(self, hashes: Iterable[str] | None = None) -> dict[str, str]:
        """``hash -> status`` (``"done"`` / ``"failed"``) of the recorded jobs (of ``hashes`` if given)."""
        if self._db is None:
            return {}
        rows = self._run("SELECT hash, status FROM results").fetchall()
        found = dict(rows)
        if hashes is None:
            return found
        return {h: found[h] for h in hashes if h in found}

    def record(self, job: Job, outcome: Mapping[str, Any]) -> bool:
        """Append the record of ``job`` (a :func:`theory.sweep.jobs.run_job` outcome); ``False`` if already there."""
        if self._db is None:
            raise StoreError(f"store {str(self.path)!r} was opened read-only; open it with create=True")
        row = (
            job.hash,
            job.kind,
            job.label,
            json.dumps(dict(job.params), sort_keys=True, allow_nan=False),
            outcome["status"],
            None if outcome.get("ok") is None else int(bool(outcome["ok"])),
            None if outcome.get("result") is None else json.dumps(outcome["result"], allow_nan=False),
            outcome.get("error"),
            json.dumps(list(outcome.get("notes", ())), allow_nan=False),
            outcome["run_id"],
            outcome["worker"],
            outcome["started"],
            outcome["finished"],
            time.time(),
        )
        cur = self._run("INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        return cur.rowcount == 1

    def records(self, hashes: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The stored records (of ``hashes`` if given, in that order), JSON fields decoded."""
        if self._db is None:
            return []
        self._db.row_factory = sqlite3.Row
        try:
            rows = {r["hash"]: dict(r) for r in self._run("SELECT * FROM results ORDER BY recorded")}
        finally:
            self._db.row_factory = None
        chosen = list(rows.values()) if hashes is None else [rows[h] for h in hashes if h in rows]
        for r in chosen:
            for key in ("params", "result", "notes"):
                r[key] = None if r[key] is None else json.loads(r[key])
            r["ok"] = None if r["ok"] is None else bool(r["ok"])
        return chosen


def _switch_to_wal(db: sqlite3.Connection, seconds: float = 30.0) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds the file.

    Switching the journal mode needs an exclusive lock and SQLite reports ``database is locked``
    at once instead of waiting out the connection's busy timeout, so two sweeps opening one new
    store together raced here; the switch is retried (every 50 ms, up to ``seconds``).
    """
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
