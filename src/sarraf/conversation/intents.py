"""The bot's own intents, by name: what the NLU's bot taxonomy (nlu/taxonomy.py) and our buttons say a
customer wants. The 77 service intents are the knowledge base's (kb/intents.py) and stay strings."""

from __future__ import annotations

from enum import StrEnum

from sarraf.conversation.nlu.taxonomy import BOT_INTENTS


class Intent(StrEnum):
    CHECK_BALANCE = "check_balance"
    RECENT_TRANSACTIONS = "recent_transactions"
    SPENDING_SUMMARY = "spending_summary"
    TRANSFER_MONEY = "transfer_money"
    FREEZE_CARD = "freeze_card"
    UNFREEZE_CARD = "unfreeze_card"
    LINK_ACCOUNT = "link_account"
    UNLINK_ACCOUNT = "unlink_account"
    REVOKE_CONSENT = "revoke_consent"
    MANAGE_ALERTS = "manage_alerts"
    MY_DATA = "my_data"
    DELETE_MY_DATA = "delete_my_data"
    HUMAN_AGENT = "human_agent"
    GREETING = "greeting"
    GOODBYE = "goodbye"
    THANKS = "thanks"
    AFFIRM = "affirm"
    DENY = "deny"
    HELP = "help"
    OUT_OF_SCOPE = "out_of_scope"
    CONFIRM_ERASE = "confirm_erase"  # never said: the button on "Erase now?", or a yes typed to it


# what buttons may carry back: every bot intent and the erase confirmation (nothing else is honoured)
BUTTON_INTENTS = frozenset(Intent)
DATA_INTENTS = (Intent.CHECK_BALANCE, Intent.RECENT_TRANSACTIONS, Intent.SPENDING_SUMMARY)
SMALL_TALK = {Intent.THANKS: "thanks", Intent.GOODBYE: "goodbye", Intent.AFFIRM: "affirm", Intent.DENY: "deny"}
# Answered by the alert and card flows when alerts run (bootstrap.build passes them); otherwise honestly
# "not in chat yet" with a hand-off. Transfers are the payments flow's (flows/payments.py, registered by bootstrap).
NOT_IN_CHAT_YET = (Intent.FREEZE_CARD, Intent.UNFREEZE_CARD, Intent.MANAGE_ALERTS, "lost_or_stolen_card")

assert {i.value for i in Intent} - {Intent.CONFIRM_ERASE} == set(BOT_INTENTS), "Intent and the NLU taxonomy differ"
