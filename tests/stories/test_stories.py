"""Every conversation story × every channel kind (full: web chat, masked: Telegram, link_only: Messenger)."""

from __future__ import annotations

import httpx
import pytest

from tests.stories.channels import KINDS
from tests.stories.runner import StoryWorld, run
from tests.stories.story import Story


async def test_story(story: Story, channel: str, story_world: StoryWorld, http: httpx.AsyncClient,
                     record_property: pytest.RecordProperty) -> None:
    for key, value in (("story", story.id), ("lang", story.lang), ("flow", story.flow), ("channel", channel),
                       ("kind", KINDS[channel]), ("awaiting", story.awaiting)):
        record_property(key, value)
    failures = await run(story_world, story, channel, http)
    assert not failures, f"{story.path}: {story.name} on {channel} ({KINDS[channel]}):\n  " + "\n  ".join(failures)
