"""The refusals every operation may answer with, written into the OpenAPI document.

FastAPI documents only an operation's success and its 422 (with its own validation-error shape, which this
gateway replaces: web/app.py answers `{"error": "invalid request", "reasons": [...]}`). A client generated from
/openapi.json must also know the refusals it will meet: a bad or forged request, no credentials, an unknown
bank or link, a link already used, a body over the limit, a platform sending too fast, our store or the bank
being down. Each answer carries its reason in the body, in one of the shapes below; pages a person opens in a
browser (the bank login's way in and back, the payment review, Alexa's account linking) refuse with a page.
Schemathesis checks every answer against this document (tests/hardening/test_schemathesis.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

REFUSED = ("400", "401", "403", "404", "409", "410", "413", "422", "429", "503")
# browser pages: they answer a person with a page, in the person's language
PAGES = ("/link/", "/pay/", "/oauth/alexa/authorize")
REFUSAL = {
    "title": "Refusal",
    "description": "Why the request was refused. `error` (with `reasons` for invalid input, `error_description` "
                   "for OAuth), `detail`, or `err` + `description` for bank event deliveries (RFC 8935).",
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "error_description": {"type": "string"},
        "detail": {"type": "string"},
        "err": {"type": "string"},
        "description": {"type": "string"},
    },
    "anyOf": [{"required": ["error"]}, {"required": ["detail"]}, {"required": ["err"]}],
}
_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/Refusal"}}}
_PAGE = {"text/html": {"schema": {"type": "string"}}, **_JSON}


def with_refusals(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """An `app.openapi` that documents the refusals (built once, as FastAPI's own is)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            document(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def document(schema: dict[str, Any]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Refusal"] = REFUSAL
    for path, operations in schema.get("paths", {}).items():
        content = _PAGE if path.startswith(PAGES) else _JSON
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in REFUSED:
                responses[status] = {"description": "Refused: the body says why.", "content": content}
    # FastAPI's validation-error shape is never answered (web/app.py words invalid input itself)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
