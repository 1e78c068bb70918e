"""The bot's own intents (exact names — other tools rely on them); the rest are the 77 BANKING77 labels."""

BOT_INTENTS = frozenset(
    {
        "check_balance",
        "recent_transactions",
        "spending_summary",
        "transfer_money",
        "freeze_card",
        "unfreeze_card",
        "link_account",
        "unlink_account",
        "revoke_consent",
        "manage_alerts",
        "my_data",
        "delete_my_data",
        "human_agent",
        "greeting",
        "goodbye",
        "thanks",
        "affirm",
        "deny",
        "help",
        "out_of_scope",
    }
)
