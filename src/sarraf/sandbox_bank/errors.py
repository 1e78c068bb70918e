"""Open Banking error bodies (OBErrorResponse1) and the x-fapi-interaction-id echo.

Error codes are four characters as OBErrorResponse1 requires; the sandbox uses these:
  U001 a field is invalid            U002 a field is missing
  U003 a permission is missing       U004 the consent is not in a usable state
  U005 unknown resource              U006 unauthorised (token missing, unknown or expired)
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

INTERACTION_HEADER = "x-fapi-interaction-id"

TITLES = {400: "400 BadRequest", 401: "401 Unauthorized", 403: "403 Forbidden", 404: "404 NotFound",
          405: "405 MethodNotAllowed", 500: "500 InternalError"}


class OBError(Exception):
    def __init__(self, status: int, code: str, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.path = status, code, message, path


def error_body(status: int, code: str, message: str, path: str | None = None) -> dict[str, object]:
    error: dict[str, str] = {"ErrorCode": code, "Message": message[:500]}
    if path:
        error["Path"] = path
    return {"Id": uuid.uuid4().hex[:40], "Code": TITLES.get(status, str(status)),
            "Message": message[:500], "Errors": [error]}


def _respond(status: int, code: str, message: str, path: str | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse(error_body(status, code, message, path), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Render every API failure as OBErrorResponse1 and echo (or mint) the interaction id."""

    @app.exception_handler(OBError)
    async def _ob_error(_: Request, exc: OBError) -> JSONResponse:
        return _respond(exc.status, exc.code, exc.message, exc.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        path = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        return _respond(400, "U001", str(first.get("msg", "invalid request")), path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "U005" if exc.status_code == 404 else "U001"
        return _respond(exc.status_code, code, str(exc.detail))

    @app.middleware("http")
    async def _interaction_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        interaction_id = request.headers.get(INTERACTION_HEADER) or str(uuid.uuid4())
        response = await call_next(request)
        response.headers[INTERACTION_HEADER] = interaction_id
        return response
