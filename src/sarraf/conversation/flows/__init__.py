"""The seam where conversation flows plug into the engine: payments, service answers, and what comes next.

A flow owns a set of NLU intents, the payloads of its own buttons (a prefix such as "pay:"), and may continue
a question it asked itself (a payee's name typed after "who to?"). The engine asks the registered flows; a
flow never imports the engine. What a flow raises for a bank read (NotLinked, ConsentUnusable,
BankUnavailable, BankRefused…) the engine tells the customer as it does for its own reads, so no flow words an
outage or a missing link on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.turn import Turn
from sarraf.domain.messages import Outbound


class Flow(Protocol):
    @property
    def intents(self) -> frozenset[str]:
        """The NLU intents (and `intent:` button payloads) this flow answers."""
        ...

    @property
    def postback_prefixes(self) -> tuple[str, ...]:
        """Payload prefixes of the flow's own buttons, e.g. ("pay:",); empty when it has none."""
        ...

    async def answer(self, turn: Turn, intent: str, parse: Parse | None) -> list[Outbound]:
        """Answer one of `intents`. `parse` is None when a button asked for the intent."""
        ...

    async def postback(self, turn: Turn, payload: str) -> list[Outbound]:
        """Answer a tap on one of the flow's own buttons (the payload came back from the client: check it)."""
        ...

    async def continues(self, turn: Turn, parse: Parse) -> list[Outbound] | None:
        """This message as the answer to a question the flow asked, or None when it is not (the message then
        goes the usual way). Called for every understood-or-not text message before intents are dispatched."""
        ...


class FlowTable:
    """The registered flows, in registration order. An intent or a payload prefix belongs to one flow only:
    two flows claiming the same one is a wiring mistake, refused at start-up rather than decided by order."""

    def __init__(self) -> None:
        self._flows: list[Flow] = []

    def register(self, flow: Flow) -> None:
        for other in self._flows:
            if shared := flow.intents & other.intents:
                raise ValueError(f"intents {sorted(shared)} are answered by two flows")
            for prefix in flow.postback_prefixes:
                if any(prefix.startswith(p) or p.startswith(prefix) for p in other.postback_prefixes):
                    raise ValueError(f"button payloads {prefix!r} would go to two flows")
        self._flows.append(flow)

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._flows)

    def for_intent(self, intent: str) -> Flow | None:
        return next((f for f in self._flows if intent in f.intents), None)

    def for_postback(self, payload: str) -> Flow | None:
        return next((f for f in self._flows if f.postback_prefixes and payload.startswith(f.postback_prefixes)), None)

    async def continuation(self, turn: Turn, parse: Parse) -> list[Outbound]:
        """The first flow's continuation of its own question; an empty list when no flow takes the message."""
        for flow in self._flows:
            if (replies := await flow.continues(turn, parse)) is not None:
                return replies
        return []
