"""Failures the conversation must explain to a customer rather than crash on."""


class SarrafError(Exception):
    """Base of every expected failure."""


class BankUnavailable(SarrafError):
    """The bank did not answer, or answered 5xx: try later, nothing was changed."""


class ConsentUnusable(SarrafError):
    """The bank refused our token or consent (401/403, revoked, expired): the customer must re-link."""


class NotLinked(SarrafError):
    """The customer has not linked an account at this bank yet."""


class DisclosureDenied(SarrafError):
    """The bank's data-use agreement does not allow this disclosure."""

    def __init__(self, policy_id: str, reason: str) -> None:
        super().__init__(f"{policy_id}: {reason}")
        self.policy_id = policy_id
        self.reason = reason
