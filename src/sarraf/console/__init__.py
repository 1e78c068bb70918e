"""The bank's console: staff accounts and logins, the agents' desk (hand-off queue, claims, replies) and the
compliance views of the audit log. Web routes live in sarraf.web.console; SQL in sarraf.store.console_*."""
