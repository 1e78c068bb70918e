"""The operator API: what a bank's back office may do to a customer's consent here (bearer token)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from sarraf.web.deps import container_of

router = APIRouter(prefix="/api/banks/{bank}", tags=["operator"])


def operator(request: Request) -> None:
    """Fail closed: no configured token, a missing token or a wrong one are all refused."""
    expected = container_of(request).settings.operator_token
    if not expected:
        raise HTTPException(403, "operator API disabled: set SARRAF_OPERATOR_TOKEN")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


@router.get("/consents/{consent_id}", dependencies=[Depends(operator)])
async def consent_status(request: Request, bank: str, consent_id: str) -> dict[str, Any]:
    container = container_of(request)
    customer_id = await _customer_of(request, bank, consent_id)
    link = await container.links.get(bank, customer_id)
    assert link is not None
    return {
        "bank": bank,
        "consent_id": consent_id,
        "status": link.status.value,
        "permissions": list(link.permissions),
        "expires_at": link.expires_at.isoformat() if link.expires_at else None,
    }


@router.delete("/consents/{consent_id}", status_code=204, dependencies=[Depends(operator)])
async def revoke_consent(request: Request, bank: str, consent_id: str) -> Response:
    """Revoke a consent here and at the bank: the next request by any channel is refused."""
    customer_id = await _customer_of(request, bank, consent_id)
    await container_of(request).consents.revoke(bank, customer_id)
    return Response(status_code=204)


async def _customer_of(request: Request, bank: str, consent_id: str) -> str:
    container = container_of(request)
    if bank not in container.banks:
        raise HTTPException(404, f"unknown bank {bank!r}")
    customer_id = await container.links.find_by_consent(bank, consent_id[:128])
    if customer_id is None:
        raise HTTPException(404, f"no linked customer holds consent {consent_id!r}")
    return customer_id
