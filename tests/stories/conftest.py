"""One gateway for every story (every platform configured against one fake platform, the sandbox bank at
/bank), started once per pytest session; chats are linked once per customer and channel (runner.StoryWorld).

Which stories run: SARRAF_STORIES_AWAITING=1 adds tests/stories/awaiting/, =only runs just those;
SARRAF_STORIES_LANG=xx keeps one language. `sarraf test stories` sets both from its options.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.alerts.channel_world import channel_gateway
from tests.stories.channels import KINDS
from tests.stories.runner import StoryWorld
from tests.stories.story import Story, load


def selected_stories() -> list[Story]:
    awaiting = os.environ.get("SARRAF_STORIES_AWAITING", "")
    return load(include_awaiting=awaiting in ("1", "only"), awaiting_only=awaiting == "only",
                lang=os.environ.get("SARRAF_STORIES_LANG") or None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"story", "channel"} <= set(metafunc.fixturenames):
        cases = [(s, c) for s in selected_stories() for c in KINDS]
        metafunc.parametrize(("story", "channel"), cases, ids=[f"{s.id}@{c}" for s, c in cases])


@pytest.fixture(scope="session")
def story_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoryWorld]:
    with channel_gateway(tmp_path_factory.mktemp("stories")) as world:
        yield StoryWorld(world)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
