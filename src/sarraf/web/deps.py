"""Access to the composition root from request handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

if TYPE_CHECKING:
    from sarraf.bootstrap import Container


def container_of(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]
