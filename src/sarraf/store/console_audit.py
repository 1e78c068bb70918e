"""Searching the audit log's leaves for the compliance browser and the customer's privacy page.

Leaves are canonical JSON (policy/audit/canonical.py): `"key":"value"` with no whitespace, so a LIKE on that
text narrows the rows in SQL, and every row is then checked exactly on its parsed fields. The bank is always
part of the search: staff of one bank never read another bank's decisions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.policy.audit.entry import decode_leaf
from sarraf.store.tables.audit import audit_leaves

SCAN_LIMIT = 50_000  # rows read at most per search, newest first: a browser page, not an export
FIELDS = ("customer", "purpose", "category", "recipient", "outcome")


@dataclass(frozen=True, slots=True)
class AuditFilter:
    tenant: str
    customer: str = ""
    purpose: str = ""
    category: str = ""
    recipient: str = ""
    outcome: str = ""
    since: str = ""  # ISO date or time prefix, compared with the leaf's "time"
    until: str = ""

    def matches(self, leaf: dict[str, Any]) -> bool:
        stamp = str(leaf.get("time", ""))
        return (leaf.get("tenant") == self.tenant
                and (not self.customer or leaf.get("customer") == self.customer)
                and (not self.purpose or str(leaf.get("purpose", "")).startswith(self.purpose))
                and (not self.category or self.category in (leaf.get("categories") or []))
                and (not self.recipient or leaf.get("recipient") == self.recipient)
                and (not self.outcome or leaf.get("outcome") == self.outcome)
                and (not self.since or stamp >= self.since)
                and (not self.until or stamp[: len(self.until)] <= self.until))


def _quoted(key: str, value: str) -> str:
    return f"%{json.dumps(key)}:{json.dumps(value, ensure_ascii=False)}%"


class SqlAuditSearch:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def search(self, wanted: AuditFilter, limit: int = 100, before: int | None = None
                     ) -> list[tuple[int, dict[str, Any]]]:
        """Matching leaves, newest first, with their index (for the inclusion proof)."""
        data = audit_leaves.c.data
        query = select(audit_leaves.c.idx, data).where(data.like(_quoted("tenant", wanted.tenant)))
        if wanted.customer:
            query = query.where(data.like(_quoted("customer", wanted.customer)))
        if wanted.recipient:
            query = query.where(data.like(_quoted("recipient", wanted.recipient)))
        if wanted.outcome:
            query = query.where(data.like(_quoted("outcome", wanted.outcome)))
        if wanted.category:
            query = query.where(data.like(f"%{json.dumps(wanted.category)}%"))
        if before is not None:
            query = query.where(audit_leaves.c.idx < before)
        query = query.order_by(audit_leaves.c.idx.desc()).limit(SCAN_LIMIT)
        found: list[tuple[int, dict[str, Any]]] = []
        async with self._engine.connect() as conn:
            result = await conn.stream(query)
            async for idx, text in result:
                leaf = decode_leaf(text.encode("utf-8"))
                if wanted.matches(leaf):
                    found.append((idx, leaf))
                    if len(found) >= limit:
                        break
        return found

    async def leaf(self, index: int) -> dict[str, Any] | None:
        async with self._engine.connect() as conn:
            text = (await conn.execute(select(audit_leaves.c.data).where(audit_leaves.c.idx == index))).scalar()
        return decode_leaf(text.encode("utf-8")) if text is not None else None
