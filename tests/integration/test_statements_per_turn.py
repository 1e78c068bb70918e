"""SQL statements per chat turn stay where issue #15 brought them (a real gateway on SQLite, Messenger and the
web chat, tests/support/sql_count.py): a cut that silently comes back fails here. Each data turn still decides
and audits its disclosure (one audit leaf written), and a turn with nothing to disclose audits nothing.

`python -m tests.support.sql_count` lists every statement with where it comes from."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.support.sql_count import TURNS, Statement, count_turns, counting_gateway

# (channel, kind of turn, asking) → at most this many statements; asking 1: after a question of another kind
# (the conversation's memory is written), 2: the same question again. Before #15: 13/15/15/9 and 12/14/14/6
# (first asking), 13/13/13/9 and 12/12/12/6 (again).
CEILING = {
    ("messenger", "balance"): (11, 11), ("messenger", "transactions"): (12, 11),
    ("messenger", "spending"): (12, 11), ("messenger", "small_talk"): (8, 8),
    ("webchat", "balance"): (10, 10), ("webchat", "transactions"): (11, 10),
    ("webchat", "spending"): (11, 10), ("webchat", "small_talk"): (6, 6),
}


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str, int], list[Statement]]]:
    with counting_gateway(tmp_path_factory.mktemp("sql-count")) as gateway:
        yield asyncio.run(count_turns(gateway))


@pytest.mark.parametrize(("channel", "kind"), sorted(CEILING))
def test_statements_per_turn_stay_cut(counted: dict[tuple[str, str, int], list[Statement]], channel: str,
                                      kind: str) -> None:
    for asking, ceiling in zip((1, 2), CEILING[(channel, kind)], strict=True):
        statements = counted[(channel, kind, asking)]
        listing = "\n".join(f"{s.sql}\n    {s.origin}" for s in statements)
        assert len(statements) <= ceiling, f"{channel} {kind} (asking {asking}): {len(statements)} > {ceiling}\n" \
                                           f"{listing}"
        audited = sum(s.sql.startswith("INSERT INTO audit_leaves") for s in statements)
        assert audited == (0 if kind == "small_talk" else 1), listing
        assert any(s.sql.startswith("SELECT customers.id") for s in statements), listing  # the count is real


def test_every_kind_of_turn_is_counted(counted: dict[tuple[str, str, int], list[Statement]]) -> None:
    assert {(channel, kind) for channel, kind, _ in counted} == set(CEILING)
    assert set(TURNS) == {kind for _, kind in CEILING}
