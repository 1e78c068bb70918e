"""Losing a replica under load: two gateway processes on PostgreSQL + NATS JetStream, the benchmark's load
generator sending to both (a load balancer's round robin), one of them SIGKILLed mid-load and started again.

The generator plays the platform: a webhook that gets no answer (connection refused or cut) is delivered
again, to the next replica, as Meta re-delivers an unacknowledged one. Every message must be answered, none
twice (a message that needed several deliveries gets as many Send API calls as one delivered once), the web
chat's too, and the audit log both replicas appended to must verify.

Exactly once holds but for one window: a reply the platform accepted from A in the few milliseconds before
A recorded the message id (store/messages.py `answered_after`) is sent again by B for the re-delivery. Meta's
Send API has no idempotency key to close it; the test allows such a duplicate only when the platform really
received that message's answers both before and after the kill (at most 2), and prints the counts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import chat_load as load
from tests.support.postgres import temporary_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
NATS_URL = os.environ.get("SARRAF_TEST_NATS", "nats://127.0.0.1:4222")


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_a_replica_killed_mid_load_loses_and_repeats_nothing(root: Path) -> None:
    started: list[load.Proc] = []
    with temporary_database("sarraf_kill") as url:
        try:
            bank = load.start_bank(root)
            platform = load.start_helper("platform", root)
            started += [bank, platform]
            front = load.free_port()
            shared = load.gateway_env(root, url, bank.url, platform.url, f"http://127.0.0.1:{front}", NATS_URL)
            a = load.start_gateway("replica-a", shared, root, port=front)
            b = load.start_gateway("replica-b", shared, root)
            started += [a, b]
            customers = load.make_customers(24, webchat_share=0.25)
            asyncio.run(load.link_all(a.url, platform.url, customers, concurrency=4))
            offset = len(asyncio.run(load.platform_calls(platform.url)))
            plan = load.make_plan(customers, 240, "kill", redeliver=0.05)
            popen, out = load.start_load_process([a.url, b.url], customers, plan, 12, root)

            # mid-load: once a good share of the answers went out, A dies without a word
            deadline = time.monotonic() + 120
            while len(asyncio.run(load.platform_calls(platform.url, offset))) < 60 and time.monotonic() < deadline:
                time.sleep(0.1)
            os.kill(a.popen.pid, signal.SIGKILL)
            a.popen.wait(timeout=10)
            killed = time.time()
            killed_at = len(asyncio.run(load.platform_calls(platform.url, offset)))
            time.sleep(1.0)
            restarted = load.start_gateway("replica-a", shared, root, port=front)  # the same address again
            started.append(restarted)
            back = time.time()

            result = load.collect_load(popen, out)
            # and the restarted replica takes its share again
            again = load.make_plan(customers, 60, "kill-after", seed=12, redeliver=0.05)
            result_after = load.run_load_process([a.url, b.url], customers, again, 12, root)
            calls = asyncio.run(load.platform_calls(platform.url, offset))
        finally:
            for proc in reversed(started):
                proc.stop()
        split = max(sent.end for sent in result.sent)  # the first load's last answer, before the second began
        counted = load.tally(customers, result, [c for c in calls if c[1] <= split], plan)
        counted_after = load.tally(customers, result_after, [c for c in calls if c[1] > split], again)
        retried = sum(1 for s in result.sent if s.attempts > 1)
        served_by_b = sum(1 for s in result.sent if s.url == b.url)
        after_restart = sum(1 for s in result_after.sent if s.url == a.url and s.status == 200)
        print(f"turns={counted.turns} lost={counted.lost} dup={counted.dup} non-200={counted.failed} "
              f"delivered-again={retried} answered-by-b={served_by_b} answered-by-a-after-restart={after_restart} "
              f"platform-calls={len(calls)} calls-before-kill={killed_at} a-down-s={back - killed:.1f}")
        # The one window no gateway can close without the platform's help: A's Send API call was accepted and
        # A died before recording the message id (a few milliseconds after it); the re-delivery is answered
        # again. Such a message got Send API calls both before and after the kill; any other is a fault.
        straddling = sum(1 for sent in result.sent if sent.attempts > 1 and customers[sent.customer].kind ==
                         "messenger" and {at < killed for r, at, _ in calls if r == customers[sent.customer].sender
                                          and sent.start <= at <= sent.end} == {True, False})
        print(f"answered by A just before it died and again after: {straddling}")
        assert retried > 0, "the kill hit no message in flight: nothing was tested"
        # The web chat's one window (the scale work's note): A recorded the message id and died before its HTTP
        # answer left; the browser's retry is then answered with nothing. Only a web chat message delivered again
        # across the kill can be lost that way; any other loss is a fault.
        webchat_window = sum(1 for sent in result.sent if sent.attempts > 1 and not sent.redelivery
                             and customers[sent.customer].kind == "webchat" and sent.replies == 0)
        print(f"web chat messages answered empty after the kill: {webchat_window}")
        assert (counted.turns, counted.failed) == (240, 0)
        assert counted.lost <= webchat_window <= 2, f"{counted.lost} lost, {webchat_window} in the kill's window"
        assert counted.dup <= straddling <= 2, f"{counted.dup} duplicates, {straddling} in the kill's window"
        assert (counted_after.turns, counted_after.lost, counted_after.dup, counted_after.failed) == (60, 0, 0, 0)
        assert after_restart > 0, "the restarted replica answered nothing"
        audit = load.audit_verify(shared)
        assert audit.returncode == 0 and "OK" in audit.stdout, audit.stdout + audit.stderr
