"""The one outbound path for messages outside a turn (alerts/push.py, behind Container.deliver): a failing
channel is retried with back-off and the message lands once; a channel that is not enabled is not retried;
when every attempt fails the last error is raised; sends are paced by the channel's rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from sarraf.alerts.delivery import DeliveryPolicy
from sarraf.alerts.push import PUSH_POLICY, Pusher
from sarraf.channels.registry import ChannelSet
from sarraf.channels.webchat import WebChatChannel, render
from sarraf.domain.messages import Outbound

MESSAGE = Outbound("Your payment to Alice was sent.", "en")


@dataclass
class FlakyOutbox:
    """The web chat's outbox, failing its first `failures` writes as a database hiccup would."""

    failures: int = 1
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tried: int = 0

    async def push(self, channel: str, sender: str, payload: dict[str, Any]) -> int:
        self.tried += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("database went away")
        self.rows.append((sender, payload))
        return len(self.rows)


@dataclass
class Sleeps:
    waited: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


def pusher(outbox: FlakyOutbox, sleeps: Sleeps, policy: DeliveryPolicy = PUSH_POLICY) -> Pusher:
    channels = ChannelSet({"webchat": WebChatChannel(outbox)})
    return Pusher(channels, policy=policy, sleep=sleeps, rng=lambda: 1.0)


async def test_a_failing_channel_is_retried_and_the_message_delivered_once() -> None:
    outbox, sleeps = FlakyOutbox(failures=2), Sleeps()
    await pusher(outbox, sleeps).push("webchat", "s-1", [MESSAGE])
    assert outbox.rows == [("s-1", render(MESSAGE))] and outbox.tried == 3
    assert sleeps.waited == [0.25, 0.5]  # the delivery worker's back-off, at the top of its full jitter


async def test_when_every_attempt_fails_the_last_error_is_raised() -> None:
    outbox, sleeps = FlakyOutbox(failures=5), Sleeps()
    with pytest.raises(ConnectionError):
        await pusher(outbox, sleeps).push("webchat", "s-1", [MESSAGE])
    assert outbox.rows == [] and outbox.tried == PUSH_POLICY.max_attempts


async def test_a_channel_that_is_not_enabled_is_not_retried() -> None:
    outbox, sleeps = FlakyOutbox(failures=0), Sleeps()
    with pytest.raises(LookupError):
        await pusher(outbox, sleeps).push("telegram", "s-1", [MESSAGE])
    assert sleeps.waited == [] and outbox.tried == 0


async def test_nothing_to_send_sends_nothing() -> None:
    outbox, sleeps = FlakyOutbox(failures=0), Sleeps()
    assert await pusher(outbox, sleeps).push("webchat", "s-1", []) == []
    assert outbox.tried == 0


async def test_pushes_are_paced_by_the_channels_rate() -> None:
    outbox, sleeps = FlakyOutbox(failures=0), Sleeps()
    slow = DeliveryPolicy(max_attempts=1, channel_per_second={"webchat": 1.0})
    sending = pusher(outbox, sleeps, slow)
    for n in range(3):
        await sending.push("webchat", f"s-{n}", [MESSAGE])
    assert len(outbox.rows) == 3 and len(sleeps.waited) == 2 and all(w > 0.9 for w in sleeps.waited)
