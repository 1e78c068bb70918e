"""The API's documentation pages (/docs: Swagger UI, /redoc: ReDoc) with their scripts and styles served by
the gateway itself, never from a CDN: the pages work offline and behind a strict egress firewall, and an
operator's browser loads no third-party code next to an operator token.

The assets come from the fastapi-offline package (Swagger UI 5, which renders the OpenAPI 3.1 FastAPI
emits, and ReDoc 2); only its static folder is used, with FastAPI's own page builders. Each page names its inline
start-up script by hash in its Content-Security-Policy; their renderers inject styles, so only the docs pages
(no bank data on them) allow inline styles.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from sarraf.web.security_headers import hashed_policy

ASSETS_URL = "/static-docs"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"


def mount_api_docs(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve Swagger UI and ReDoc for `app`, which must be built with docs_url=None and redoc_url=None."""
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url or f"{docs_url}/oauth2-redirect"
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _hashed(get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - Swagger UI", oauth2_redirect_url=oauth2_redirect_url,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js", swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png", swagger_ui_parameters=app.swagger_ui_parameters))

    @app.get(oauth2_redirect_url, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return _hashed(get_swagger_ui_oauth2_redirect_html())

    @app.get(redoc_url, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _hashed(get_redoc_html(openapi_url=openapi_url, title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS_URL}/favicon.png", with_google_fonts=False))


def _hashed(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = hashed_policy(bytes(page.body).decode(), inline_style_attributes=True,
                                                            blob_workers=True)
    return page
