"""One reply from the catalogue, with the buttons that go with it: the engine's way of saying things."""

from __future__ import annotations

from sarraf.conversation.intents import Intent
from sarraf.conversation.turn import Turn
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog

POSTBACK_PREFIX = "intent:"
# what a customer can do next, offered under greetings, help and "say it another way"
QUICK_REPLIES = (
    ("qr_balance", Intent.CHECK_BALANCE),
    ("qr_transactions", Intent.RECENT_TRANSACTIONS),
    ("qr_spending", Intent.SPENDING_SUMMARY),
    ("qr_human", Intent.HUMAN_AGENT),
)


def say(
    turn: Turn,
    key: str,
    *,
    quick: bool = False,
    human: bool = False,
    link: bool = False,
    confirm_erase: bool = False,
    **values: object,
) -> Outbound:
    c = catalog()
    text = c.text(turn.lang, key, bank=turn.bank, **values)
    replies: list[Button] = []
    if quick:
        replies = [Button(c.text(turn.lang, k), payload=POSTBACK_PREFIX + i) for k, i in QUICK_REPLIES]
    if human:
        replies = [Button(c.text(turn.lang, "qr_human"), payload=POSTBACK_PREFIX + Intent.HUMAN_AGENT)]
    if link:
        replies = [Button(c.text(turn.lang, "qr_link"), payload=POSTBACK_PREFIX + Intent.LINK_ACCOUNT)]
    if confirm_erase:
        replies = [
            Button(c.text(turn.lang, "qr_erase_yes"), payload=POSTBACK_PREFIX + Intent.CONFIRM_ERASE),
            Button(c.text(turn.lang, "qr_erase_no"), payload=POSTBACK_PREFIX + Intent.DENY),
        ]
    return Outbound(text, turn.lang, quick_replies=tuple(replies))
