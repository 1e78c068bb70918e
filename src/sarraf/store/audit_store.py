"""SQLAlchemy (async) adapter of the AuditStore port, and `open_audit_log(settings)` for gateway and CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sarraf.config import Settings
from sarraf.policy.audit import AuditLog, Checkpoint, FileCheckpointMirror, StoredLeaf, TreeState
from sarraf.store import pg_bulk, sqlite_bulk
from sarraf.store.database import make_engine
from sarraf.store.key_store import key_provider
from sarraf.store.metadata import metadata
from sarraf.store.tables.audit import audit_checkpoints, audit_leaves, audit_tree_state
from sarraf.store.tables.keys import data_keys

MIRROR_FILE = "audit-checkpoint.json"
_AUDIT_TABLES = (audit_leaves, audit_checkpoints, audit_tree_state)


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(
        row.seq, row.tree_size, bytes(row.root), row.timestamp, bytes(row.previous), row.key_id, bytes(row.signature)
    )


def _leaf(row: Any) -> StoredLeaf:
    return StoredLeaf(row.idx, row.data.encode("utf-8"), bytes(row.leaf_hash))


def _tree_state(size: int, raw: bytes) -> TreeState:
    return TreeState(size, tuple(raw[i : i + 32] for i in range(0, len(raw), 32)))


# SQLite: a write as the transaction's first statement takes the database write lock, and RETURNING reads the
# state in the same statement. PostgreSQL: a row lock on the state row.
_LOCK_AND_READ = {
    False: update(audit_tree_state).where(audit_tree_state.c.id == 1)
    .values(tree_size=audit_tree_state.c.tree_size)
    .returning(audit_tree_state.c.tree_size, audit_tree_state.c.nodes),
    True: select(audit_tree_state.c.tree_size, audit_tree_state.c.nodes)
    .where(audit_tree_state.c.id == 1).with_for_update(),
}


_MOVE_ON = (update(audit_tree_state)
            .where(audit_tree_state.c.id == 1, audit_tree_state.c.tree_size == bindparam("expected"))
            .values(tree_size=bindparam("size"), nodes=bindparam("joined")))


class SqlAuditStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def state(self) -> TreeState:
        async with self.engine.connect() as conn:
            return await self._read_state(conn)

    @staticmethod
    async def _read_state(conn: AsyncConnection) -> TreeState:
        row = (await conn.execute(select(audit_tree_state).where(audit_tree_state.c.id == 1))).first()
        return TreeState(0, ()) if row is None else _tree_state(row.tree_size, bytes(row.nodes))

    async def extend(self, build: Callable[[TreeState], tuple[Sequence[StoredLeaf], TreeState]],
                     expected: TreeState | None = None) -> TreeState:
        async with self.engine.begin() as conn:
            if expected is not None and (found := await self._extend_from(conn, expected, build)) is not None:
                return found
            leaves, state = build(await self._locked_state(conn))
            await self._insert(conn, leaves)
            values = {"tree_size": state.size, "nodes": b"".join(state.nodes)}
            await conn.execute(update(audit_tree_state).where(audit_tree_state.c.id == 1).values(**values))
        return state

    async def _extend_from(self, conn: AsyncConnection, expected: TreeState,
                           build: Callable[[TreeState], tuple[Sequence[StoredLeaf], TreeState]]) -> TreeState | None:
        """The common case of one writer: the log is still where this process left it, so the new state is
        stored with a compare-and-set on the size (which takes the write lock, as _locked_state's statement
        does) and the leaves follow: two statements instead of three. None when another writer moved the log
        on: the caller then reads it under the lock this statement took."""
        leaves, state = build(expected)
        moved = await conn.execute(_MOVE_ON, {"expected": expected.size, "size": state.size,
                                              "joined": b"".join(state.nodes)})
        if moved.rowcount != 1:
            return None
        await self._insert(conn, leaves)
        return state

    @staticmethod
    async def _insert(conn: AsyncConnection, leaves: Sequence[StoredLeaf]) -> None:
        if conn.dialect.name == "postgresql":  # one execution, not one per leaf (see store/pg_bulk.py)
            await pg_bulk.insert_audit_leaves(conn, leaves)
        else:
            await sqlite_bulk.insert_audit_leaves(conn, leaves)

    async def _locked_state(self, conn: AsyncConnection) -> TreeState:
        """The log's state, read under its write lock for the rest of this transaction (one statement once
        the state row exists): no two writers, in any process, can extend from the same size."""
        for _ in range(2):
            row = (await conn.execute(_LOCK_AND_READ[conn.dialect.name == "postgresql"])).first()
            if row is not None:
                return _tree_state(row.tree_size, bytes(row.nodes))
            # First use: create the row (a writer that raced us to it wins harmlessly), then lock and read it.
            dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            await conn.execute(dialect_insert(audit_tree_state).values(id=1, tree_size=0, nodes=b"")
                               .on_conflict_do_nothing())
        raise RuntimeError("the audit log's state row could not be created")

    async def add_checkpoint(self, checkpoint: Checkpoint) -> bool:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(audit_checkpoints).values(
                        seq=checkpoint.seq,
                        tree_size=checkpoint.tree_size,
                        root=checkpoint.root,
                        timestamp=checkpoint.timestamp,
                        previous=checkpoint.previous,
                        key_id=checkpoint.key_id,
                        signature=checkpoint.signature,
                    )
                )
        except IntegrityError:
            return False  # another writer stored this sequence number first
        return True

    async def checkpoints(self) -> list[Checkpoint]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.seq))
            return [_checkpoint(r) for r in rows]

    async def latest_checkpoint(self) -> Checkpoint | None:
        query = select(audit_checkpoints).order_by(audit_checkpoints.c.seq.desc()).limit(1)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _checkpoint(row) if row else None

    async def leaves(self, start: int = 0, batch: int = 20_000) -> AsyncIterator[Sequence[StoredLeaf]]:
        query = (
            select(audit_leaves.c.idx, audit_leaves.c.data, audit_leaves.c.leaf_hash)
            .where(audit_leaves.c.idx >= start)
            .order_by(audit_leaves.c.idx)
            .execution_options(yield_per=batch)
        )
        async with self.engine.connect() as conn:
            result = await conn.stream(query)
            async for rows in result.partitions(batch):
                # Plain tuples: building StoredLeaf from positional fields is the hot loop of verify.
                yield [StoredLeaf(i, d.encode("utf-8"), bytes(h)) for i, d, h in rows]

    async def leaf_hashes(self, stop: int) -> list[bytes]:
        query = select(audit_leaves.c.leaf_hash).where(audit_leaves.c.idx < stop).order_by(audit_leaves.c.idx)
        async with self.engine.connect() as conn:
            return [bytes(h) for (h,) in await conn.execute(query)]

    async def leaf(self, index: int) -> StoredLeaf | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(audit_leaves).where(audit_leaves.c.idx == index))).first()
        return _leaf(row) if row else None

    async def recent(self, limit: int) -> list[StoredLeaf]:
        query = select(audit_leaves).order_by(audit_leaves.c.idx.desc()).limit(limit)
        async with self.engine.connect() as conn:
            return [_leaf(r) for r in await conn.execute(query)]


async def create_audit_tables(engine: AsyncEngine) -> None:
    """Create the audit and key tables (tests and benches; deployments use the Alembic migrations)."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all, tables=[*_AUDIT_TABLES, data_keys])


async def open_audit_log(settings: Settings, engine: AsyncEngine | None = None, **options: Any) -> AuditLog:
    """The audit log of this gateway: rows in settings.database_url (or `engine`), keys and the
    checkpoint mirror in settings.data_dir. Options go to AuditLog (checkpoint_every, clock)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqlAuditStore(engine or make_engine(settings.database_url))
    mirror = FileCheckpointMirror(settings.data_dir / MIRROR_FILE)
    return await AuditLog.open(store, key_provider(settings), mirror, **options)
