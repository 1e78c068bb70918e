"""The operator API: what a bank's back office may do to a customer's consent here (bearer token scoped to
the bank, see web/tenant_tokens.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from sarraf.store.console_desk import SqlDesk
from sarraf.web.deps import container_of
from sarraf.web.tenant_tokens import Api, authorise

router = APIRouter(prefix="/api/banks/{bank}", tags=["operator"])


def operator(request: Request, bank: str) -> None:
    """Fail closed: no token for this bank, a missing token, a wrong one or another bank's are all refused.
    A bank's own token reaches that bank only; SARRAF_OPERATOR_TOKEN is the all-banks administrator's."""
    container = container_of(request)
    authorise(request, Api.OPERATOR, bank, container.banks, container.settings.operator_token)


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


@router.get("/handoffs", dependencies=[Depends(operator)])
async def handoffs(request: Request, bank: str) -> dict[str, Any]:
    """The conversations waiting for a person (the console's queue), oldest first, with why they wait and
    their transcript since the hand-off: for a back office without the console, or to check it."""
    container = container_of(request)
    if bank not in container.banks:
        raise HTTPException(404, f"unknown bank {bank!r}")
    desk = SqlDesk(container.engine, container.row_sealer, container.addresses)
    waiting = []
    for w in await desk.waiting(bank):
        ref = await desk.conversation(bank, w.handoff_id)
        lines = await desk.transcript(ref) if ref is not None else []
        waiting.append({
            "handoff_id": w.handoff_id, "channel": w.channel, "lang": w.lang, "reasons": list(w.reasons),
            "since": w.since.isoformat(),
            "transcript": [{"author": line.author, "text": line.message.get("text"), "at": line.at.isoformat()}
                           for line in lines],
        })
    return {"bank": bank, "waiting": waiting}


async def _customer_of(request: Request, bank: str, consent_id: str) -> str:
    container = container_of(request)
    if bank not in container.banks:
        raise HTTPException(404, f"unknown bank {bank!r}")
    customer_id = await container.links.find_by_consent(bank, consent_id[:128])
    if customer_id is None:
        raise HTTPException(404, f"no linked customer holds consent {consent_id!r}")
    return customer_id
