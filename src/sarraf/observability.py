"""Prometheus metrics shared by the web app and workers (one registry per process)."""

from prometheus_client import Counter, Histogram

MESSAGES = Counter("sarraf_messages_total", "Inbound customer messages", ["channel"])
REPLIES = Counter("sarraf_replies_total", "Outbound replies", ["channel"])
REJECTED = Counter("sarraf_rejected_requests_total", "Inbound requests refused", ["channel", "reason"])
# Signed webhooks whose payload had a shape the adapter does not understand: answered 200 (the platform must
# not redeliver it forever) and skipped; reason is the exception type, a fixed word.
WEBHOOK_SKIPPED = Counter("sarraf_webhook_skipped_total", "Signed webhook payloads skipped as not understood",
                          ["platform", "reason"])
TURN_SECONDS = Histogram("sarraf_turn_seconds", "Time to answer one inbound message", ["channel"])
LINKS = Counter("sarraf_account_links_total", "Account-linking outcomes", ["outcome"])
# Labels: the bank id, the bank endpoint (a fixed name per connector call) and a fixed reason word
# (banks/failures.py REASONS): a few dozen series per bank at most.
BANK_FAILURES = Counter("sarraf_bank_failures_total", "Calls to a bank that failed", ["bank", "endpoint", "reason"])
