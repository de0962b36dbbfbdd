"""The projection runner: follows the notification log, exactly once per view.

Each view has a row in ``projection_tracking``. A batch reads the events after the view's
position, applies the view's handlers and moves the position, in one transaction: a crash at any
point leaves the rows and the position in step. Every event read advances the position, handled
or not. A handler that fails stops that view only: the events before it are committed, the
failed position and error are recorded, and the view stays stopped until it is rebuilt.
"""

from __future__ import annotations

import gc
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from eventsourcing.persistence import Mapper, Notification

from projections.base import Item, Projection
from projections.db import Tx, ViewDb
from projections.stored import parse

log = structlog.get_logger()
BATCH = 500
TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS projection_tracking (view TEXT PRIMARY KEY, "
    "position BIGINT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL, "
    "failed_position BIGINT, error TEXT)"
)

Reader = Callable[..., Sequence[Notification]]


class RebuildFailed(RuntimeError):
    def __init__(self, view: str, position: int, error: str) -> None:
        super().__init__(f"rebuild of {view} stopped at position {position}: {error}")
        self.position = position


@dataclass(frozen=True)
class ViewStatus:
    view: str
    position: int
    lag: int
    status: str
    failed_position: int | None
    error: str | None


@contextmanager
def frozen_heap() -> Iterator[None]:
    """A rebuild allocates and drops hundreds of thousands of containers (parsed states,
    events, rows); each full collection the garbage collector runs meanwhile would walk every
    object the process held before (modules, caches: most of the heap). Frozen, those are left
    out of collections until the rebuild ends (measured: the collections of a one pass over
    166,680 events took 1.22 s, 0.39 s with the heap frozen)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _topics_of(projections: Sequence[Projection]) -> set[str] | None:
    """The topics these views read (``None``: every topic, as one of them reads all)."""
    if any(not p.topics for p in projections):
        return None
    return {topic for p in projections for topic in p.topics}


def _read_each(
    page: Sequence[Notification],
    read: Callable[[Notification], Any],
    topics: set[str] | None,
) -> dict[int, Any]:
    """``read`` of each event of the page whose topic is in ``topics``, by index in the page."""
    if topics is not None and not topics:
        return {}
    return {i: read(n) for i, n in enumerate(page) if topics is None or n.topic in topics}


class ProjectionRunner:
    def __init__(
        self,
        db: ViewDb,
        read: Reader,
        mapper: Mapper[Any],
        head: Callable[[], int],
        projections: Sequence[Projection],
        batch: int = BATCH,
    ) -> None:
        self.db = db
        self.read = read
        self.mapper = mapper
        self.head = head
        self.projections = {p.name: p for p in projections}
        self.batch = batch

    # Schema ---------------------------------------------------------------------------------

    def migrate(self) -> None:
        """Creates the tracking table and every view that does not exist yet (at position 0),
        then rebuilds each view whose definition changed (its stored version differs)."""
        outdated = []
        with self.db.transaction() as tx:
            tx.run(TRACKING_DDL)
            for projection in self.projections.values():
                row = tx.one(
                    "SELECT version FROM projection_tracking WHERE view = :v",
                    {"v": projection.name},
                )
                if row is not None:
                    if int(row[0]) != projection.version:
                        outdated.append(projection.name)
                    continue
                names = {t: t for t in projection.tables}
                for statement in projection.create_statements(names, secrets.token_hex(3)):
                    tx.run(statement)
                self._set_tracking(tx, projection.name, 0, projection.version)
        for name in outdated:
            log.info("projection_outdated", view=name, action="rebuild")
            self.rebuild(name)

    @staticmethod
    def _set_tracking(tx: Tx, view: str, position: int, version: int) -> None:
        tx.run("DELETE FROM projection_tracking WHERE view = :v", {"v": view})
        tx.run(
            "INSERT INTO projection_tracking (view, position, version, status) "
            "VALUES (:v, :p, :version, 'ok')",
            {"v": view, "p": position, "version": version},
        )

    # Running ----------------------------------------------------------------------------------

    def _lock_tracking(self, tx: Tx, view: str) -> tuple[int, str] | None:
        lock = " FOR UPDATE" if tx.backend == "postgres" else ""
        row = tx.one(
            f"SELECT position, status FROM projection_tracking WHERE view = :v{lock}", {"v": view}
        )
        return None if row is None else (int(row[0]), str(row[1]))

    def run_batch(
        self, name: str, tracking: str | None = None, tables: dict[str, str] | None = None
    ) -> int:
        """One batch of one view; returns the events it moved past (0: caught up or stopped)."""
        projection = self.projections[name]
        view, tables = tracking or name, tables or {t: t for t in projection.tables}
        position = None
        try:
            with self.db.transaction(tables, pipeline=True) as tx:
                state = self._lock_tracking(tx, view)
                if state is None or state[1] != "ok":
                    return 0
                position = state[0]
                notifications, scanned = self._page(projection, position)
                if notifications:
                    self._apply(tx, projection, notifications)
                if scanned > position:
                    self._advance(tx, view, scanned)
                return scanned - position
        except Exception:  # rolled back; the replay below finds and records the poison
            if position is None:
                raise
        return self._isolate_poison(projection, view, tables, position)

    def _page(self, projection: Projection, position: int) -> tuple[Sequence[Notification], int]:
        """The next events the view handles, and the position through which the log was scanned.

        A view reading only some topics scans up to the head read first: the events it skips are
        passed, so its position (and lag) moves with the log.
        """
        if not projection.topics:
            page = self.read(position, self.batch)
            return page, page[-1].id if page else position
        head = self.head()
        page = self.read(position, self.batch, topics=sorted(projection.topics), stop=head)
        return page, page[-1].id if len(page) == self.batch else max(head, position)

    def _reader(self, projection: Projection) -> Callable[[Notification], Any]:
        """What a view's items carry: the decoded event, its parsed stored state, or nothing."""
        if projection.decodes:
            return self.mapper.to_domain_event
        return parse if projection.parses else (lambda _: None)

    def _items(self, projection: Projection, notifications: Sequence[Notification]) -> list[Item]:
        read = self._reader(projection)
        return [(read(notification), notification) for notification in notifications]

    def _apply(self, tx: Tx, projection: Projection, notifications: Sequence[Notification]) -> None:
        projection.apply(tx, self._items(projection, notifications))

    @staticmethod
    def _advance(tx: Tx, view: str, position: int) -> None:
        tx.run(
            "UPDATE projection_tracking SET position = :p WHERE view = :v",
            {"p": position, "v": view},
        )

    def _isolate_poison(
        self, projection: Projection, view: str, tables: dict[str, str], start: int
    ) -> int:
        """Replays the failed batch event by event: commits the good prefix, stops at the poison."""
        applied = 0
        notifications, scanned = self._page(projection, start)
        with self.db.transaction(tables) as tx:
            for notification in notifications:
                tx.run("SAVEPOINT one_event")
                try:
                    projection.apply(tx, self._items(projection, [notification]))
                except Exception as error:  # noqa: BLE001
                    tx.run("ROLLBACK TO SAVEPOINT one_event")
                    tx.run(
                        "UPDATE projection_tracking SET status = 'failed', failed_position = :p, "
                        "error = :e WHERE view = :v",
                        {
                            "p": notification.id,
                            "e": f"{type(error).__name__}: {error}"[:500],
                            "v": view,
                        },
                    )
                    log.error(
                        "projection_stopped",
                        view=view,
                        position=notification.id,
                        error=type(error).__name__,
                    )
                    break
                tx.run("RELEASE SAVEPOINT one_event")
                self._advance(tx, view, notification.id)
                applied += 1
            else:  # no event fails on its own: the batch failure was transient
                self._advance(tx, view, scanned)
        return applied

    def run_until_idle(
        self, names: Sequence[str] | None = None, stop: Callable[[], bool] = lambda: False
    ) -> int:
        """Runs every view until none has anything left to do, or until ``stop()`` after a
        round of batches (a server stopping while its views catch up a backlog); returns the
        events moved past."""
        total, busy = 0, True
        while busy and not stop():
            moved = [self.run_batch(name) for name in names or list(self.projections)]
            total += sum(moved)
            busy = any(moved)
        return total

    def run_forever(
        self,
        stop: Callable[[], bool],
        wait: Callable[[float], object] = time.sleep,
        idle_seconds: float = 0.5,
    ) -> None:
        while not stop():
            if self.run_until_idle(stop=stop) == 0:
                wait(idle_seconds)

    # Status and rebuild -------------------------------------------------------------------------

    def status(self, head: int | None = None) -> list[ViewStatus]:
        """Each view's position and lag behind ``head`` (default: the log's head now)."""
        head = self.head() if head is None else head
        rows = self.db.query(
            "SELECT view, position, status, failed_position, error FROM projection_tracking "
            "ORDER BY view"
        )
        return [
            ViewStatus(r[0], int(r[1]), head - int(r[1]), r[2], r[3], r[4])
            for r in rows
            if r[0] in self.projections
        ]

    def _fresh(self, name: str) -> tuple[dict[str, str], str, str]:
        """Fresh, unindexed tables for a rebuild of ``name``, tracked at 0 as its shadow."""
        projection, generation = self.projections[name], secrets.token_hex(3)
        fresh = {t: f"{t}__{generation}" for t in projection.tables}
        shadow = f"{name}__rebuild"
        with self.db.transaction() as tx:
            for statement in projection.table_statements(fresh):
                tx.run(statement)
            self._set_tracking(tx, shadow, 0, projection.version)
        return fresh, shadow, generation

    def _discard(self, fresh: dict[str, str], shadow: str) -> None:
        with self.db.transaction() as tx:
            for table in fresh.values():
                tx.run(f"DROP TABLE IF EXISTS {table}")
            tx.run("DELETE FROM projection_tracking WHERE view = :v", {"v": shadow})

    def rebuild_all(
        self,
        names: Sequence[str] | None = None,
        progress: Callable[[int], object] | None = None,
        spent: dict[str, float] | None = None,
    ) -> int:
        """Rebuilds several views (default: all) in one pass over the log: each page is read
        once, each of its events decoded once if a decoding view reads it and parsed once if a
        parsing view does, and every view applies it (its own topics only) to its fresh tables,
        all in one transaction per page; then each is indexed and swapped in as ``rebuild``
        does. If a page fails, the fresh tables are dropped and each view is rebuilt on its own,
        which finds the poison and raises ``RebuildFailed`` for its view.

        ``spent`` receives the seconds of the shared read + decode (``"read + decode"``), of the
        shared parse (``"parse"``) and of each view's own work (its handlers, then its indexes
        and swap)."""
        with self.db.bulk(), frozen_heap():
            return self._rebuild_all(list(names or self.projections), progress, spent)

    def _rebuild_all(
        self,
        names: list[str],
        progress: Callable[[int], object] | None,
        spent: dict[str, float] | None,
    ) -> int:
        spent = {} if spent is None else spent
        spent.update({"read + decode": 0.0, "parse": 0.0, **dict.fromkeys(names, 0.0)})
        plans = {name: self._fresh(name) for name in names}
        projections = [self.projections[name] for name in names]
        # Each page is decoded only where a decoding view reads it, and parsed only where a
        # parsing view does (``None``: every topic).
        decoded_topics = _topics_of([p for p in projections if p.decodes])
        parsed_topics = _topics_of([p for p in projections if p.parses])
        position, clock = 0, time.perf_counter
        try:
            while True:
                started = clock()
                page = self.read(position, self.batch)
                decoded = _read_each(page, self.mapper.to_domain_event, decoded_topics)
                spent["read + decode"] += clock() - started
                started = clock()
                parsed = _read_each(page, parse, parsed_topics)
                spent["parse"] += clock() - started
                if not page:
                    break
                # No pipeline: in one, a view's read could be handed another view's pending
                # INSERT result (seen at 5k-50k requests). Without it, each view's statements
                # also run inside its own timing; each view has its own cursor (``Tx.apart``).
                with self.db.transaction() as tx:
                    for name, (fresh, shadow, _) in plans.items():
                        started = clock()
                        projection = self.projections[name]
                        carried = (
                            decoded if projection.decodes else parsed if projection.parses else {}
                        )
                        items = [
                            (carried.get(i), n)
                            for i, n in enumerate(page)
                            if not projection.topics or n.topic in projection.topics
                        ]
                        with tx.apart(fresh) as view_tx:
                            if items:
                                projection.apply(view_tx, items)
                            self._advance(view_tx, shadow, page[-1].id)
                        spent[name] += clock() - started
                position = page[-1].id
                if progress:
                    progress(len(page))
        except Exception as error:  # noqa: BLE001 - each view alone then finds (and reports) it
            log.warning("rebuild_pass_failed", error=type(error).__name__, detail=str(error)[:300])
            for fresh, shadow, _ in plans.values():
                self._discard(fresh, shadow)
            return max(self._rebuild(name, None) for name in names)  # already in bulk()
        for name, (fresh, shadow, generation) in plans.items():
            started = clock()
            position = self._swap(self.projections[name], shadow, fresh, generation)
            spent[name] += clock() - started
        return position

    def rebuild(self, name: str, progress: Callable[[int], object] | None = None) -> int:
        """Builds the view from zero into fresh, unindexed tables, then swaps them in, in one
        transaction that first builds their indexes."""
        with self.db.bulk(), frozen_heap():
            return self._rebuild(name, progress)

    def _rebuild(self, name: str, progress: Callable[[int], object] | None) -> int:
        projection = self.projections[name]
        fresh, shadow, generation = self._fresh(name)
        while moved := self.run_batch(name, tracking=shadow, tables=fresh):
            if progress:
                progress(moved)
        with self.db.transaction() as tx:
            failed = tx.one(
                "SELECT failed_position, error FROM projection_tracking WHERE view = :v "
                "AND status = 'failed'",
                {"v": shadow},
            )
        if failed is not None:
            self._discard(fresh, shadow)
            raise RebuildFailed(name, int(failed[0]), str(failed[1]))
        return self._swap(projection, shadow, fresh, generation)

    def _swap(
        self, projection: Projection, shadow: str, fresh: dict[str, str], generation: str
    ) -> int:
        """Indexes the fresh tables once, applies what arrived meanwhile, and renames them in;
        then refreshes their statistics (outside the transaction: VACUUM cannot run in one)."""
        with self.db.transaction(fresh) as tx:
            for statement in projection.index_statements(fresh, generation):
                tx.run(statement)
            self._lock_tracking(tx, projection.name)
            position = (self._lock_tracking(tx, shadow) or (0, ""))[0]
            while True:
                notifications, scanned = self._page(projection, position)
                if scanned == position:
                    break
                self._apply(tx, projection, notifications)
                position = scanned
            for table, new_name in fresh.items():
                tx.run(f"DROP TABLE IF EXISTS {table}")
                tx.run(f"ALTER TABLE {new_name} RENAME TO {table}")
            tx.run("DELETE FROM projection_tracking WHERE view = :v", {"v": shadow})
            self._set_tracking(tx, projection.name, position, projection.version)
        self.db.maintain(list(projection.tables))
        return position
