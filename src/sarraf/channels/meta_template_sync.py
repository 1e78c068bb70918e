"""Creating the Messenger utility templates a bank's Page needs, and reading back Meta's review of them.

Outside the 24-hour window Messenger takes only approved utility templates (messenger.py). Each bank's Page
needs two, in every language we speak, created with `category: UTILITY` through the Page's message_templates
endpoint (Meta's utility-messages page): the plain update (`utility_template`) whose body carries our text as
its one parameter, and the question (`choice_template`) with the same body and POSTBACK buttons whose payloads we
fill in at send time. Creating one that exists already is not an error: Meta answers with its review status
either way, and that status is what the operator needs to know."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from sarraf.channels.messenger import MAX_BUTTONS, TEMPLATE_LANGUAGES, MessengerAccount
from sarraf.domain.names import LocalizedName
from sarraf.i18n.replies import catalog

EXAMPLE_KEY = "template_example"  # a realistic body parameter, which Meta's review asks for


@dataclass(frozen=True, slots=True)
class TemplateStatus:
    name: str
    language: str
    status: str  # Meta's word: APPROVED, PENDING, REJECTED…; or "ERROR: <reason>" when creating failed
    template_id: str | None = None


def definitions(account: MessengerAccount, bank: LocalizedName) -> list[dict[str, Any]]:
    """What is posted to /{page_id}/message_templates: both templates in each language."""
    c = catalog()
    made = []
    for lang, code in TEMPLATE_LANGUAGES.items():
        body = {"type": "BODY", "text": c.text(lang, "template_body", bank=bank.in_lang(lang), text="{{1}}"),
                "example": {"body_text": [[c.text(lang, EXAMPLE_KEY)]]}}
        made.append({"name": account.utility_template, "language": code, "category": "UTILITY",
                     "components": [body]})
        buttons = [{"type": "POSTBACK", "text": c.text(lang, key), "payload": key}
                   for key in ("alert_yes", "alert_no")][:MAX_BUTTONS]
        made.append({"name": account.choice_template, "language": code, "category": "UTILITY",
                     "components": [body, {"type": "BUTTONS", "buttons": buttons}]})
    return made


async def sync(account: MessengerAccount, bank: LocalizedName, http: httpx.AsyncClient) -> list[TemplateStatus]:
    """Create every template the Page lacks and report each one's review status."""
    url = f"{account.api_url}/{account.page_id}/message_templates"
    auth = {"Authorization": f"Bearer {account.page_token}"}
    found: list[TemplateStatus] = []
    for definition in definitions(account, bank):
        name, language = definition["name"], definition["language"]
        created = await http.post(url, json=definition, headers=auth)
        answer = _json(created)
        if created.is_success:
            found.append(TemplateStatus(name, language, str(answer.get("status", "PENDING")), answer.get("id")))
            continue
        listed = await http.get(url, params={"name": name, "language": language}, headers=auth)
        known = [t for t in _json(listed).get("data", []) if isinstance(t, dict) and t.get("language") == language]
        if listed.is_success and known:  # it was there already: its review status is the answer
            found.append(TemplateStatus(name, language, str(known[0].get("status", "UNKNOWN")), known[0].get("id")))
        else:
            reason = (answer.get("error") or {}).get("message") if isinstance(answer.get("error"), dict) else None
            found.append(TemplateStatus(name, language, f"ERROR: {reason or created.status_code}"))
    return found


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
