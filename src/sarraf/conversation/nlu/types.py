"""What the NLU returns: an intent with a calibrated confidence, the message language and entities."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Entity:
    """A span of the message and its normalised value.

    kinds and values: ``money`` → {"amount": Decimal, "currency": str}; ``period`` → {"start": date,
    "end": date} (end inclusive); ``category`` → a spending category name; ``unplaced`` → the words naming
    what the customer spent on when no category covers them ("gardening"); ``payee`` → str.
    """

    kind: str
    value: object
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Parse:
    text: str
    intent: str
    confidence: float
    lang: str  # "ar" | "pl" | "en"
    entities: list[Entity] = field(default_factory=list)
    in_scope: bool = True
    # the next best intents with their confidences, for disambiguation prompts and debugging
    ranking: tuple[tuple[str, float], ...] = ()

    def entity(self, kind: str) -> Entity | None:
        """The first entity of ``kind``, or None."""
        return next((e for e in self.entities if e.kind == kind), None)
