"""A copy of the newest checkpoint outside the database (a JSON file in data_dir).

Someone who can rewrite the database but not this file cannot roll the log back to an earlier, shorter
state by deleting the newest checkpoints and entries: verify compares the database with this copy.
"""

from __future__ import annotations

import json
import os
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
        # Write-then-rename so a crash leaves either the old or the new checkpoint, never half of one.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(checkpoint.to_json(), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
