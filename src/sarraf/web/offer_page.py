"""The secure page of a link-only offer (Messenger, WhatsApp): the offer's details are shown here, never on the
chat platform. Showing it is a disclosure to `bank_page`, decided and audited against the consent as it stands
now: a customer who stopped offers since the message was sent sees no offer."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response

from sarraf.alerts.offers import offer_request, with_opt_in
from sarraf.domain.events import AlertKind, BankEvent
from sarraf.i18n.languages import direction
from sarraf.i18n.replies import catalog
from sarraf.policy.consent_grant import ConsentGrant
from sarraf.policy.secure_links import SecureView
from sarraf.store.offers import SqlOffers
from sarraf.web.deps import container_of
from sarraf.web.pages import templates

PAGE = "bank_page"


async def offer_page(request: Request, view: SecureView) -> Response:
    container = container_of(request)
    c = catalog()
    lang = await container.lang_of(view.customer_id) or container.default_lang
    bank = container.bank_names[view.tenant]
    store = SqlOffers(container.engine, container.row_sealer)
    event_id = view.start or ""
    data = await store.offer_data(view.tenant, event_id, view.customer_id)
    body = c.text(lang, "offers_page_gone")
    if data is not None:
        event = BankEvent(view.tenant, event_id, AlertKind.OFFER, "", datetime.now(UTC), data)
        asked = offer_request(event, view.customer_id, PAGE)
        grant = with_opt_in(ConsentGrant(view.tenant, view.customer_id, frozenset()),
                            await store.opt_in(view.tenant, view.customer_id))
        decision = container.deciders[view.tenant].decide(asked, grant)
        await container.audit.record_many([(asked, decision)])
        if decision.allowed:
            body = c.text(lang, "offers_message", bank=bank, description=str(data.get("description", "")),
                          term=str(data.get("term", "")))
    return templates.TemplateResponse(
        request, "notice.html",
        {"lang": lang, "dir": direction(lang), "title": c.text(lang, "offers_page_title", bank=bank),
         "body": body},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
