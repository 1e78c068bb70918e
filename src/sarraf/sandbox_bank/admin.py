"""Who may make the sandbox bank's events happen (POST /sarraf/v1/admin/simulate, /faults, /cases).

The admin secret is generated once per installation and kept with the other keys, in <SARRAF_HOME>/keys
(a 0600 file in a 0700 folder), so `sarraf sandbox simulate` on the same machine reads it from the same data
folder; SARRAF_SANDBOX_ADMIN_SECRET overrides it. There is no default secret anyone could guess. And admin
calls are accepted only from the loopback interface (the gateway's public port may face the internet) unless
SARRAF_SANDBOX_ADMIN_REMOTE=1 says otherwise.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from pathlib import Path

from fastapi import Request

from sarraf.sandbox_bank.errors import OBError

ADMIN_HEADER = "x-sandbox-admin-secret"
SECRET_FILE = "sandbox-admin-secret"
SECRET_ENV = "SARRAF_SANDBOX_ADMIN_SECRET"
REMOTE_ENV = "SARRAF_SANDBOX_ADMIN_REMOTE"


def secret_path(data_dir: Path) -> Path:
    return data_dir / "keys" / SECRET_FILE


def stored_secret(data_dir: Path) -> str | None:
    """The secret a running sandbox of this installation accepts, without creating one (the CLI's view)."""
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        return configured
    path = secret_path(data_dir)
    return path.read_text(encoding="ascii").strip() if path.exists() else None


def installation_secret(data_dir: Path) -> str:
    """The admin secret of the installation whose data folder is `data_dir`: the environment's, else the one
    in its keys folder, created on first use (O_EXCL: two processes starting together agree on one)."""
    found = stored_secret(data_dir)
    if found:
        return found
    path = secret_path(data_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fresh = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(fresh)
    return fresh


def remote_allowed() -> bool:
    return os.environ.get(REMOTE_ENV, "").strip().lower() in {"1", "true", "yes"}


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_admin(request: Request) -> None:
    """Refuse an admin call from another machine (unless allowed) or without the installation's secret."""
    client = request.client.host if request.client else None
    if not request.app.state.admin_remote and not _loopback(client):
        raise OBError(403, "U006", "the sandbox admin API answers only on the loopback interface "
                                   f"(set {REMOTE_ENV}=1 to allow other machines)")
    given = request.headers.get(ADMIN_HEADER, "")
    if not hmac.compare_digest(given.encode(), request.app.state.admin_secret.encode()):
        raise OBError(401, "U006", f"the {ADMIN_HEADER} header is missing or wrong")
