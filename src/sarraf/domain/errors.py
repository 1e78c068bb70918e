"""Failures the conversation must explain to a customer rather than crash on."""


class SarrafError(Exception):
    """Base of every expected failure."""


class BankUnavailable(SarrafError):
    """The bank did not answer, or answered 5xx: try later, nothing was changed."""


class BankAnswerRefused(BankUnavailable):
    """The bank answered, but with something we refuse to follow (a `Next` link to another host, a redirect
    elsewhere): not an outage, so the customer is told the bank's answer was refused, not that it is down."""


class ConsentUnusable(SarrafError):
    """The bank refused our token or consent (401/403, revoked, expired): the customer must re-link."""


class NotLinked(SarrafError):
    """The customer has not linked an account at this bank yet."""



class BankRefused(SarrafError):
    """The bank answered and declined an action (a 4xx that is not about our token): nothing was changed,
    and trying again will not change that. `reason` is what we could learn of why ("card_blocked", or
    "refused" when the bank did not say)."""

    CARD_BLOCKED = "card_blocked"  # the card is blocked (lost or stolen) and can change no more
    REFUSED = "refused"

    def __init__(self, message: str, reason: str = REFUSED) -> None:
        super().__init__(message)
        self.reason = reason
