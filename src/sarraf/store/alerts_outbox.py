"""The alert outbox on SQLAlchemy async: accept, route, claim, complete — the same SQL on SQLite and PostgreSQL.

Claiming on PostgreSQL is ``SELECT … FOR UPDATE SKIP LOCKED`` inside a transaction held while the batch is
sent, so several worker processes never take the same row and a killed worker's rows simply unlock. SQLite
has no row locks: one in-process worker reads the batch, sends, then writes every outcome in one
transaction. On both, a web chat message is handed over (inserted into the channel outbox) in the same
transaction that marks the event sent, so a crash can neither lose nor repeat it.

Wake-ups: on PostgreSQL the routing commit carries a NOTIFY on ``READY_CHANNEL`` (delivered at commit, so
never before the rows are visible) and ``listen`` lets a worker process sleep until then instead of polling
the table; polling stays as the fallback for retries coming due and for a missed notification.

Per-customer ordering: only the oldest ready row of a customer's lane is claimable; a row waiting for a
retry holds back the ones behind it, and an urgent (fraud) lane never waits behind a normal one.
Addresses are kept as their keyed hash (store/address_sealing.py), opened from the identity for delivery.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, String, and_, bindparam, exists, func, insert, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from sarraf.alerts.outbound import KIND as OUT_OF_TURN
from sarraf.alerts.ports import READY, RECEIVED, ROUTED, ClaimedBatch, Job, Received, Recipient, Routed
from sarraf.domain.consent import ConsentStatus
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.store import alert_dead_letters as dead_letters
from sarraf.store import outbox_answers, pg_bulk, sqlite_bulk
from sarraf.store import outbox_sealing as sealing
from sarraf.store.address_sealing import Addresses
from sarraf.store.alert_recipients import recipient_from_row
from sarraf.store.alerts_prefs import PREFERENCE_COLUMNS
from sarraf.store.channel_state import utc
from sarraf.store.file_lock import file_lock
from sarraf.store.identity_sealing import to_deliver
from sarraf.store.outbox_answers import Added
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables.alerts import alert_dead_letters, alert_outbox, alert_platform_messages, alert_preferences
from sarraf.store.tables.core import bank_links, channel_identities, customers

READY_CHANNEL = "sarraf_alerts_ready"
RECEIVED_CHANNEL = "sarraf_alerts_received"
ROUTED_CHANNEL = "sarraf_alerts_routed"
NOTIFY_CHANNELS = {READY: READY_CHANNEL, RECEIVED: RECEIVED_CHANNEL, ROUTED: ROUTED_CHANNEL}
ROUTING_LOCK = 0x5A77AF_A1E7  # pg_try_advisory_lock key: one routing process at a time


def _is_ready(table: Any) -> Any:
    # The status as a literal in the SQL, not a bound parameter: only then can SQLite's and PostgreSQL's
    # planners pick the partial indexes over ready / received rows (tables/alerts.py).
    return table.c.status == literal_column("'ready'")


def _is_received(table: Any) -> Any:
    return table.c.status == literal_column("'received'")


_T = alert_outbox.c
_RECEIVED = (select(_T.id, _T.tenant, _T.event_id, _T.kind, _T.consent_id, _T.occurred_at, _T.received_at, _T.data)
             .where(_is_received(alert_outbox)).order_by(_T.id).limit(bindparam("limit")))
_UNROUTED = select(func.count()).select_from(select(literal_column("1")).select_from(alert_outbox)
                                              .where(_is_received(alert_outbox)).limit(bindparam("cap")).subquery())
_ACCEPT_SQLITE = (sqlite_insert(alert_outbox).on_conflict_do_nothing(index_elements=["tenant", "event_id"])
                  .returning(_T.tenant, _T.event_id))
_TOUCH = update(alert_outbox).where(_T.id == bindparam("row"), _T.status == "received").values(status=_T.status)


@dataclass
class _Batch:
    jobs: list[Job]
    _sent: list[tuple[Job, list[dict[str, Any]]]] = field(default_factory=list)
    _platform_ids: list[tuple[Job, str]] = field(default_factory=list)
    _retries: list[tuple[Job, datetime, str]] = field(default_factory=list)
    _dead: list[tuple[Job, str]] = field(default_factory=list)

    def sent(self, job: Job, handed_over: Sequence[dict[str, Any]] = (), platform_ids: Sequence[str] = ()) -> None:
        self._sent.append((job, list(handed_over)))
        self._platform_ids.extend((job, message_id) for message_id in platform_ids)

    def retry(self, job: Job, at: datetime, error: str) -> None:
        self._retries.append((job, at, error))

    def dead(self, job: Job, reason: str) -> None:
        self._dead.append((job, reason))


class SqlAlertOutbox:
    def __init__(self, engine: AsyncEngine, sealer: JsonSealer, addresses: Addresses) -> None:
        self._engine = engine
        self._sealer = sealer
        self._addresses = addresses  # the gateway's one codec (bootstrap.build): the lookup secret read once
        self._postgres = engine.dialect.name == "postgresql"
        self._build_queries()

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        # On SQLite the writers of this process queue in order in the driver (store/sqlite_driver.py), so
        # intake, routing and delivery never stall one another in SQLite's busy handler.
        async with self._engine.begin() as conn:
            yield conn

    # intake

    async def accept(self, events: Sequence[BankEvent]) -> list[bool]:
        """One INSERT … ON CONFLICT DO NOTHING RETURNING for the whole batch: the ids that come back
        are the fresh events, every other one was already held (a re-send, or a repeat inside the batch)."""
        now = datetime.now(UTC)
        keys = [(event.tenant, event.event_id) for event in events]
        first = {key: i for i, key in reversed(list(enumerate(keys)))}  # a repeat inside the batch counts once
        fresh = [event for i, event in enumerate(events) if first[keys[i]] == i]
        if not fresh:
            return []
        async with self._writing() as conn:
            sealed = await sealing.sealed_event_data(self._sealer, conn, fresh)
            rows = [{
                "tenant": event.tenant, "event_id": event.event_id, "kind": event.kind.value,
                "consent_id": event.consent_id, "stream": event.stream, "occurred_at": event.occurred_at,
                "received_at": now, "data": data, "status": "received",
                "lane": "urgent" if event.kind is AlertKind.SUSPECTED_FRAUD else "normal", "attempts": 0,
                "available_at": now,
            } for event, data in zip(fresh, sealed, strict=True)]
            if self._postgres:
                inserted = await pg_bulk.insert_received(conn, rows, now)
            else:
                inserted = {(r.tenant, r.event_id) for r in await conn.execute(_ACCEPT_SQLITE, rows)}
            if self._postgres and inserted:  # wakes a router in another process (delivered at commit)
                await conn.execute(text(f"NOTIFY {RECEIVED_CHANNEL}"))
        return [key in inserted and first[key] == i for i, key in enumerate(keys)]

    # routing

    async def received(self, limit: int) -> list[Received]:
        async with self._engine.connect() as conn:
            return await self._received(conn, limit)

    async def routing_batch(self, limit: int) -> tuple[list[Received], dict[tuple[str, str], Recipient]]:
        """The next events to route and their recipients by (tenant, consent id), on one connection (each
        checkout costs round trips; on SQLite, thread hops)."""
        async with self._engine.connect() as conn:
            items = await self._received(conn, limit)
            recipients: dict[tuple[str, str], Recipient] = {}
            for tenant in dict.fromkeys(item.event.tenant for item in items):
                consents = [item.event.consent_id for item in items if item.event.tenant == tenant]
                found = await self._recipients(conn, tenant, consents)
                recipients.update({(tenant, consent): r for consent, r in found.items()})
        return items, recipients

    async def _received(self, conn: AsyncConnection, limit: int) -> list[Received]:
        rows = (await conn.execute(_RECEIVED, {"limit": limit})).all()
        keys = await sealing.keys_for(self._sealer, conn, [row.data for row in rows])  # 1 query, 1 unseal a row
        return [Received(row_id, BankEvent(tenant, event_id, AlertKind(kind), consent_id, utc(occurred_at),
                                           keys.open(sealing.EVENT_DATA, data)), utc(received_at))
                for row_id, tenant, event_id, kind, consent_id, occurred_at, received_at, data in rows]

    async def unrouted(self, cap: int = 100_000) -> int:
        """How many accepted events wait for routing, counted up to `cap` (intake's back-pressure when routing
        runs elsewhere; read every few milliseconds while the bank waits, so it stops counting at the cap)."""
        async with self._engine.connect() as conn:
            return int((await conn.execute(_UNROUTED, {"cap": cap})).scalar() or 0)

    @asynccontextmanager
    async def routing_turn(self) -> AsyncIterator[bool]:
        """Routing is single-flight across processes, so events become ready in the order they came (and each
        decision is audited once): on PostgreSQL a session advisory lock, on SQLite an flock on a file beside
        the database; both are released if the holder dies. Yields False while another process routes."""
        if not self._postgres:
            database = self._engine.url.database
            if not database or database == ":memory:":  # a private database: no other process can route it
                yield True
                return
            with file_lock(f"{database}.routing.lock") as got:
                yield got
            return
        async with self._engine.connect() as conn:
            got = bool((await conn.execute(select(func.pg_try_advisory_lock(ROUTING_LOCK)))).scalar())
            await conn.commit()
            try:
                yield got
            finally:
                if got:
                    await conn.execute(select(func.pg_advisory_unlock(ROUTING_LOCK)))
                    await conn.commit()

    def _one_of(self, column: Any, name: str) -> Any:
        """`column IN :name` as ONE bound parameter (a PostgreSQL array, a JSON array read by SQLite's json_each):
        an expanded IN list costs SQLAlchemy several microseconds per value to render, on every batch. Pass
        the values through `_values`.

        On PostgreSQL `IN (SELECT unnest(:array))`, not `= ANY(:array)`: after five executions a prepared
        statement may switch to a generic plan, in which `= ANY` of a parameter compares every row with every
        element in turn (no hashing, no index): 3-4 ms for 250 recipients among 1,000 customers, against
        0.4 ms for the semi-join, whose plan does not depend on the array being known."""
        if self._postgres:
            members: Any = select(func.unnest(bindparam(name, type_=ARRAY(String))))
        else:
            members = select(literal_column("value")).select_from(func.json_each(bindparam(name, type_=String)))
        return column.in_(members)

    def _values(self, values: Sequence[str]) -> Any:
        return list(values) if self._postgres else json.dumps(list(values))

    def _build_queries(self) -> None:
        """The routing round's queries, built once: building a statement and its cache key on every call was
        ~5 % of a routing worker's CPU."""
        links, prefs, t = bank_links.c, alert_preferences.c, alert_outbox.c
        self._link_columns = (links.customer_id, links.consent_id, links.status, links.permissions,
                              links.expires_at, (links.tokens_sealed.is_not(None)).label("has_tokens"),
                              customers.c.lang)
        self._recipients_query = (
            select(*self._link_columns, *(column.label(f"p_{column.name}") for column in PREFERENCE_COLUMNS))
            .join(customers, customers.c.id == links.customer_id, isouter=True)
            .join(alert_preferences, and_(prefs.tenant == links.tenant, prefs.customer_id == links.customer_id),
                  isouter=True)
            .where(links.tenant == bindparam("tenant"), self._one_of(links.consent_id, "consents")))
        self._identities_query = (
            select(channel_identities.c.customer_id, channel_identities.c.channel, channel_identities.c.sender,
                   channel_identities.c.sender_sealed)
            .where(self._one_of(channel_identities.c.customer_id, "customers"))
            .order_by(channel_identities.c.id.desc()))
        self._waiting_query = (select(t.customer_id, t.lane).distinct()
                               .where(_is_ready(alert_outbox), self._one_of(t.customer_id, "customers")))

    async def _recipients(self, conn: AsyncConnection, tenant: str, consent_ids: Sequence[str]
                          ) -> dict[str, Recipient]:
        """Every recipient of a routing batch in two queries, however many events it holds."""
        wanted = list(dict.fromkeys(consent_ids))
        if not wanted:
            return {}
        link_columns = self._link_columns
        found = (await conn.execute(self._recipients_query, {"tenant": tenant, "consents": self._values(wanted)})
                 ).all()
        ids = [link.customer_id for link in found]
        rows = (await conn.execute(self._identities_query, {"customers": self._values(ids)})).all() if found else []
        identities, opened = await to_deliver(self._sealer, conn, rows)
        return {link.consent_id: recipient_from_row(tenant, link, len(link_columns), identities, opened)
                for link in found}

    async def newer_on_stream(self, event: BankEvent, row_id: int) -> bool:
        if event.stream is None:
            return False
        query = select(exists().where(
            alert_outbox.c.tenant == event.tenant, alert_outbox.c.consent_id == event.consent_id,
            alert_outbox.c.stream == event.stream, alert_outbox.c.occurred_at > event.occurred_at,
            alert_outbox.c.id != row_id))
        async with self._engine.connect() as conn:
            return bool((await conn.execute(query)).scalar())

    async def routed(self, results: Sequence[Routed]) -> int:
        """Every outcome of a routing batch in one statement and one commit; results handed over at routing are
        marked sent and their payloads written to the channel outbox in the same transaction (exactly once,
        as in `claim`). Returns how many rows were left ready for delivery."""
        if not results:
            return 0
        now = datetime.now(UTC)
        async with self._writing() as conn:
            handed = await self._handed_over(conn, results)
            keys = await self._sealer.keys(conn, {r.customer_id for r in results if r.messages and r.customer_id},
                                           create=True)
            rows = [{"b_id": r.row_id, "b_status": "sent" if r.row_id in handed else r.status,
                     "b_customer": r.customer_id, "b_channel": r.channel,
                     "b_sender": await self._addresses.stored_if(r.channel, r.sender),
                     "b_messages": sealing.sealed_messages(keys, r.customer_id, r.messages),
                     "b_lane": r.lane, "b_error": r.reason or None,
                     "b_available": r.available_at, "b_attempts": 1 if r.row_id in handed else 0,
                     "b_sent": now if r.row_id in handed else None} for r in results]
            await (pg_bulk if self._postgres else sqlite_bulk).update_routed(conn, rows)
            await self._hand_over(conn, [{"channel": r.channel, "sender": r.sender, "payload": payload,
                                          "owner": r.customer_id}
                                         for r in results if r.row_id in handed for payload in r.handed_over or ()],
                                  now)
            await dead_letters.at_routing(conn, [r for r in results if r.status == "dead"], now)
            left_ready = sum(1 for r in results if r.status == "ready" and r.row_id not in handed)
            if self._postgres:  # delivered at commit: a gateway holding its bank back looks again at once
                await conn.execute(text(f"NOTIFY {ROUTED_CHANNEL}"))
                if left_ready:
                    await conn.execute(text(f"NOTIFY {READY_CHANNEL}"))
        return left_ready

    async def _hand_over(self, conn: AsyncConnection, payloads: Sequence[dict[str, Any]], now: datetime) -> None:
        """Pull-channel payloads into the channel outbox, in order, in the caller's transaction (routing's
        hand-over and delivery's alike)."""
        if payloads:
            sealed = await sealing.sealed_payloads(self._sealer, conn, payloads)
            await (pg_bulk if self._postgres else sqlite_bulk).insert_handed_over(conn, sealed, now)

    async def _handed_over(self, conn: AsyncConnection, results: Sequence[Routed]) -> set[int]:
        """Which results to hand over now: those carrying payloads whose customer's lane has nothing older
        still waiting (a ready row: a retry, quiet hours, a push message), in the store or earlier in this
        batch. Runs inside the routing transaction, so no other writer can make a row ready meanwhile."""
        candidates = [r for r in results if r.status == "ready" and r.handed_over is not None]
        if not candidates:
            return set()
        # pysqlite opens the transaction (and SQLite takes its write lock) only at the first write: make that
        # write come first, so the read below sees the state this transaction commits on. A no-op on one of
        # the batch's own rows. PostgreSQL needs none: routing is single-flight (the advisory lock), and a
        # delivery retry only moves a row that is already waiting to a later time.
        if not self._postgres:
            await conn.execute(_TOUCH, {"row": candidates[0].row_id})
        customers_in_batch = list({r.customer_id for r in candidates if r.customer_id})
        waiting = {(row.customer_id, row.lane) for row in await conn.execute(
            self._waiting_query, {"customers": self._values(customers_in_batch)})}
        handed: set[int] = set()
        for r in sorted(results, key=lambda r: r.row_id):
            if r.status != "ready":
                continue
            lane = (r.customer_id, r.lane)
            if r.handed_over is not None and lane not in waiting:
                handed.add(r.row_id)
            else:
                waiting.add(lane)  # a message left waiting holds back the ones behind it in its lane
        return handed

    @asynccontextmanager
    async def listen(self, wake: asyncio.Event, on: str = READY) -> AsyncIterator[bool]:
        """While open, `wake` is set whenever routing commits ready rows (on=READY) or intake commits new events
        (on=RECEIVED), by PostgreSQL LISTEN; yields whether notifications are available at all (SQLite has
        none: the caller keeps polling)."""
        if not self._postgres:
            yield False
            return
        async with self._engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None

            def notified(*_: object) -> None:
                wake.set()

            await driver.add_listener(NOTIFY_CHANNELS[on], notified)
            try:
                yield True
            finally:
                await driver.remove_listener(NOTIFY_CHANNELS[on], notified)

    async def revoke_link(self, tenant: str, consent_id: str) -> None:
        """The bank says the customer revoked the consent: mark the link cancelled and drop its tokens."""
        async with self._writing() as conn:
            await conn.execute(update(bank_links).where(bank_links.c.tenant == tenant,
                                                        bank_links.c.consent_id == consent_id)
                               .values(status=ConsentStatus.CANCELLED.value, tokens_sealed=None,
                                       updated_at=datetime.now(UTC)))

    async def enqueue(self, tenant: str, event_id: str, kind: str, routed: Routed, data: dict[str, Any]) -> bool:
        now = datetime.now(UTC)
        dialect_insert = pg_insert if self._postgres else sqlite_insert
        async with self._writing() as conn:
            owner = routed.customer_id
            keys = await self._sealer.keys(conn, [owner] if owner else [], create=True)
            result = await conn.execute(dialect_insert(alert_outbox).values(
                tenant=tenant, event_id=event_id, kind=kind, consent_id="", stream=None, occurred_at=now,
                received_at=now, data=keys.seal(owner, sealing.EVENT_DATA, data) if owner else {}, status="ready",
                lane=routed.lane, customer_id=owner, channel=routed.channel,
                sender=await self._addresses.stored_if(routed.channel, routed.sender),
                messages=sealing.sealed_messages(keys, owner, routed.messages), attempts=0,
                available_at=routed.available_at or now,
            ).on_conflict_do_nothing(index_elements=["tenant", "event_id"]))
            if self._postgres and result.rowcount == 1:
                await conn.execute(text(f"NOTIFY {READY_CHANNEL}"))
            return bool(result.rowcount == 1)

    async def enqueue_messages(self, tenant: str, kind: str, rows: Sequence[tuple[str, Routed]]) -> Added:
        """Messages outside a turn, each under its own id, in one transaction (store/outbox_answers.py)."""
        async with self._writing() as conn:
            added = await outbox_answers.write(conn, self._sealer, self._addresses, self._hand_over, tenant, kind,
                                               rows, postgres=self._postgres)
            if self._postgres and any(ready for _, ready in added):
                await conn.execute(text(f"NOTIFY {READY_CHANNEL}"))
        return added

    # delivery

    def _due(self, limit: int, now: datetime) -> Any:
        earlier = alert_outbox.alias("earlier")
        blocked = exists().where(and_(
            earlier.c.customer_id == alert_outbox.c.customer_id, earlier.c.lane == alert_outbox.c.lane,
            _is_ready(earlier), earlier.c.id < alert_outbox.c.id))
        t = alert_outbox.c
        query = (select(t.id, t.tenant, t.event_id, t.customer_id, t.channel, t.sender, t.messages, t.attempts,
                        t.received_at)
                 .where(_is_ready(alert_outbox), t.available_at <= now, ~blocked)
                 .order_by(alert_outbox.c.id).limit(limit))
        return query.with_for_update(skip_locked=True, of=alert_outbox) if self._postgres else query

    @asynccontextmanager
    async def claim(self, limit: int, now: datetime) -> AsyncIterator[ClaimedBatch]:
        if self._postgres:
            async with self._engine.begin() as conn:
                batch = _Batch(await self._jobs(conn, (await conn.execute(self._due(limit, now))).all()))
                yield batch
                await self._finish(conn, batch)
            return
        async with self._engine.connect() as conn:
            batch = _Batch(await self._jobs(conn, (await conn.execute(self._due(limit, now))).all()))
        yield batch
        if batch._sent or batch._retries or batch._dead:
            async with self._writing() as conn:
                await self._finish(conn, batch)

    async def _jobs(self, conn: AsyncConnection, rows: Sequence[Any]) -> list[Job]:
        keys = await sealing.keys_for(self._sealer, conn, [r.messages for r in rows])
        to = await self._addresses.opened(conn, [(r.tenant, r.channel, r.sender) for r in rows])
        return [Job(r.id, r.tenant, r.event_id, r.customer_id, r.channel,
                    to.get((r.tenant, r.channel, r.sender), r.sender),
                    list(keys.open(sealing.RENDERED, r.messages) or []), r.attempts, utc(r.received_at)) for r in rows]

    async def _finish(self, conn: AsyncConnection, batch: _Batch) -> None:
        now = datetime.now(UTC)
        await self._hand_over(conn, [{"channel": job.channel, "sender": job.sender, "payload": payload,
                                      "owner": job.customer_id}
                                     for job, payloads in batch._sent for payload in payloads], now)
        if batch._platform_ids:
            dialect_insert = pg_insert if self._postgres else sqlite_insert
            await conn.execute(dialect_insert(alert_platform_messages).on_conflict_do_nothing(), [
                {"channel": job.channel, "message_id": message_id, "outbox_id": job.row_id}
                for job, message_id in batch._platform_ids])
        sent_ids = [job.row_id for job, _ in batch._sent]
        if sent_ids:
            await conn.execute(update(alert_outbox).where(alert_outbox.c.id.in_(sent_ids),
                                                          alert_outbox.c.status == "ready")
                               .values(status="sent", sent_at=now, attempts=alert_outbox.c.attempts + 1))
        for job, at, error in batch._retries:
            await conn.execute(update(alert_outbox).where(alert_outbox.c.id == job.row_id).values(
                attempts=job.attempts + 1, available_at=at, last_error=error[:2000]))
        for job, reason in batch._dead:
            await conn.execute(update(alert_outbox).where(alert_outbox.c.id == job.row_id).values(
                status="dead", attempts=job.attempts + 1, last_error=reason[:2000]))
            await conn.execute(insert(alert_dead_letters).values(
                outbox_id=job.row_id, tenant=job.tenant, event_id=job.event_id, customer_id=job.customer_id,
                channel=job.channel, attempts=job.attempts + 1, reason=reason[:2000], created_at=now))

    async def counts(self) -> dict[str, int]:
        """Reading back (operations, tests, the bench): bank events' rows by status, not the answers."""
        t = alert_outbox.c
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(t.status, func.count()).where(t.kind != OUT_OF_TURN).group_by(t.status))
            return {r[0]: int(r[1]) for r in rows}
