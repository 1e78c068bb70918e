"""A stand-in for the platforms' send APIs on 127.0.0.1: records every call, answers as scripted."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

FIXTURES = Path(__file__).with_name("fixtures")


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@dataclass
class Call:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float


@dataclass
class FakePlatform:
    calls: list[Call] = field(default_factory=list)
    script: deque[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=deque)
    # what `Call.at` reads: a test whose senders wait on a virtual clock sets the same clock here
    clock: Callable[[], float] = time.monotonic

    def fail_next(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.script.append((status, body, headers or {}))

    def paths(self) -> list[str]:
        return [c.path for c in self.calls]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def record(path: str, request: Request) -> JSONResponse:
            self.calls.append(Call("/" + path, await request.json(), dict(request.headers), self.clock()))
            if self.script:
                status, body, headers = self.script.popleft()
                return JSONResponse(body, status_code=status, headers=headers)
            if "/bot" in path:  # Telegram's envelope
                return JSONResponse({"ok": True, "result": {"message_id": len(self.calls)}})
            return JSONResponse({"recipient_id": "x", "message_id": f"m_{len(self.calls)}",
                                 "messages": [{"id": f"wamid.{len(self.calls)}"}]})

        return app
