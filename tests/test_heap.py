"""sarraf.heap: start-up objects leave the collector's reach; garbage made afterwards is still collected."""

from __future__ import annotations

import gc
import weakref

import pytest

from sarraf.heap import settle_after_start_up


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.mark.slow  # full garbage collections over the whole start-up heap (seconds)
def test_start_up_objects_are_frozen_and_later_cycles_still_collected() -> None:
    try:
        settle_after_start_up()
        assert gc.get_freeze_count() > 0
        later = Node()
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()  # this test process goes on building and dropping apps
