"""A copy of the newest checkpoint outside the database (a JSON file in data_dir).

Someone who can rewrite the database but not this file cannot roll the log back to an earlier, shorter
state by deleting the newest checkpoints and entries: verify compares the database with this copy.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Protocol

from sarraf.policy.audit.checkpoint import Checkpoint


class CheckpointMirror(Protocol):
    def load(self) -> Checkpoint | None: ...

    def save(self, checkpoint: Checkpoint) -> None: ...


class FileCheckpointMirror:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> Checkpoint | None:
        if not self.path.exists():
            return None
        return Checkpoint.from_json(json.loads(self.path.read_text(encoding="utf-8")))

    def save(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Replicas share this file: one that checkpointed a moment earlier must not put an older copy back,
        # so comparing and replacing happen under an exclusive lock on a sidecar file.
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = self.load()
            except (ValueError, KeyError):  # an unreadable copy is replaced; verify reports the database's side
                current = None
            if current is None or current.seq <= checkpoint.seq:
                self._replace(checkpoint)

    def _replace(self, checkpoint: Checkpoint) -> None:
        # Write-then-rename so a crash leaves either the old or the new checkpoint, never half of one; the
        # temporary file is unique, so a crashed writer's leftovers never collide with the next one's.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(checkpoint.to_json(), handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
