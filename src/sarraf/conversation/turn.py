"""One message being answered: the customer, the channel, the language and the conversation's short memory.

Shared by the engine and every flow module (flows/__init__.py), so flows never import the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sarraf.conversation.context import Memory
from sarraf.conversation.ports import Speaker
from sarraf.policy.point import Subject


@dataclass(frozen=True, slots=True)
class Turn:
    """One message being answered: who, where, in which language."""

    tenant: str
    customer_id: str
    channel: str
    sender: str
    lang: str
    bank: str
    text: str
    # the conversation's short memory, read when the turn starts and written back when it ends (context.py)
    memory: Memory = field(default_factory=Memory)
    asked: str | None = None  # the question our last reply asked (context.PENDING); this message may answer it

    @property
    def subject(self) -> Subject:
        return Subject(self.tenant, self.customer_id, recipient=self.channel)


@dataclass(frozen=True, slots=True)
class Party:
    """Who spoke, where, in which language, kept for an answer that comes later: a reply to an alert's question,
    the result of an action held for a bank login (the alert flows' Who, step-up's Requester)."""

    tenant: str
    customer_id: str
    channel: str
    sender: str
    lang: str
    bank: str

    @classmethod
    def of(cls, turn: Speaker, lang: str | None = None) -> Party:
        return cls(turn.tenant, turn.customer_id, turn.channel, turn.sender, lang or turn.lang, turn.bank)
