"""Meta's approved templates: what Messenger (utility messages) and WhatsApp take outside the 24-hour window.

Both platforms take a body parameter carrying our text and, when the message asks a question, button
payloads filled in at send time (so a tap comes back as the postback an in-window button gives). They differ in
how the buttons are written: WhatsApp wants one `button` component per choice (`sub_type` quick_reply, an
`index`), Messenger one `buttons` component holding a `POSTBACK` parameter per choice, in button order (its
utility-messages page); also in how many buttons fit and in the language codes. messenger.py and whatsapp.py
say which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sarraf.domain.messages import Button, Outbound

CHOICE_TEMPLATE = "sarraf_account_question"  # an approved template with quick-reply/postback buttons


def choices_of(message: Outbound) -> list[Button]:
    """The buttons that answer with a postback (not links): what a template's buttons can carry."""
    return [b for b in (*message.buttons, *message.quick_replies) if b.payload and not b.url]


def template(message: Outbound, body: str, template: str, choice_template: str, *,
             languages: Mapping[str, str], button_sub_type: str | None, max_buttons: int) -> dict[str, Any]:
    """The `template` object: `choice_template` when the message has choices, else `template` (either
    overridable per message through `extra`), with `body` as its one text parameter. `button_sub_type` None:
    Messenger's one `buttons` component of POSTBACK parameters; else WhatsApp's component per button."""
    choices = choices_of(message)[:max_buttons]
    components: list[dict[str, Any]] = [{"type": "body", "parameters": [{"type": "text", "text": body}]}]
    if choices and button_sub_type is None:
        components.append({"type": "buttons", "parameters": [{"type": "POSTBACK", "payload": choice.payload}
                                                             for choice in choices]})
    elif choices:
        components += [{"type": "button", "sub_type": button_sub_type, "index": str(i),
                        "parameters": [{"type": "payload", "payload": choice.payload}]}
                       for i, choice in enumerate(choices)]
    name = (message.extra.get("choice_template", choice_template) if choices
            else message.extra.get("template", template))
    return {"name": name, "language": {"code": languages.get(message.lang, "en_US")}, "components": components}
