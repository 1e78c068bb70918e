"""One message being answered: the customer, the channel, the language and the conversation's short memory.

Shared by the engine and every flow module (flows/__init__.py), so flows never import the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sarraf.conversation.context import Memory
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
