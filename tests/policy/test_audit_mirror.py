"""The checkpoint copy outside the database, shared by replicas: never rolled back, never half-written."""

from __future__ import annotations

import threading
from pathlib import Path

from sarraf.policy.audit.checkpoint import Checkpoint
from sarraf.policy.audit.mirror import FileCheckpointMirror


def _checkpoint(seq: int) -> Checkpoint:
    return Checkpoint(seq, seq * 10, bytes([seq]) * 32, f"2026-11-25T00:00:{seq:02d}Z", b"\0" * 32, "k1", b"s" * 64)


def test_an_older_checkpoint_never_replaces_a_newer_copy(tmp_path: Path) -> None:
    mirror = FileCheckpointMirror(tmp_path / "audit-checkpoint.json")
    mirror.save(_checkpoint(5))
    mirror.save(_checkpoint(4))  # a replica that checkpointed a moment earlier writes late
    loaded = mirror.load()
    assert loaded is not None and loaded.same_as(_checkpoint(5))
    mirror.save(_checkpoint(6))
    loaded = mirror.load()
    assert loaded is not None and loaded.seq == 6


def test_concurrent_saves_leave_one_whole_copy_and_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "audit-checkpoint.json"
    writers = [FileCheckpointMirror(path) for _ in range(4)]

    def run(mirror: FileCheckpointMirror, seqs: range) -> None:
        for seq in seqs:
            mirror.save(_checkpoint(seq))

    threads = [threading.Thread(target=run, args=(w, range(1 + i, 60, 4))) for i, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    loaded = FileCheckpointMirror(path).load()
    assert loaded is not None and loaded.seq == 59  # the newest, parsed whole: no write went backwards
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit-checkpoint.json", "audit-checkpoint.json.lock"]
