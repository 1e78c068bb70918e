"""The customer's answer to "how did we do?" after a person handled their conversation.

The question goes out when the agent hands the conversation back (desk.py), with three one-tap answers; the
tap comes back as a postback this flow owns (conversation/flows/). An answer counts once: a replayed tap, or a
tap on an old question, is thanked but not counted again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sarraf.console.ports import SatisfactionQuestions
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.turn import Turn
from sarraf.domain.messages import Outbound
from sarraf.i18n.replies import catalog

SATISFACTION_PREFIX = "csat:"
SCORES = {"good": 5, "okay": 3, "poor": 1}  # on the usual 1-5 scale, so figures compare with other desks'


class SatisfactionFlow:
    intents: frozenset[str] = frozenset()
    postback_prefixes: tuple[str, ...] = (SATISFACTION_PREFIX,)

    def __init__(self, answers: SatisfactionQuestions, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._answers = answers
        self._clock = clock

    async def answer(self, turn: Turn, intent: str, parse: Parse | None) -> list[Outbound]:
        return []  # owns no intent: reached only through its buttons

    async def postback(self, turn: Turn, payload: str) -> list[Outbound]:
        score = SCORES.get(payload[len(SATISFACTION_PREFIX):])
        if score is None:  # not a button we sent
            return [Outbound(catalog().text(turn.lang, "rephrase", bank=turn.bank), turn.lang)]
        counted = await self._answers.answer(turn.tenant, turn.channel, turn.sender, score, self._clock())
        key = "console_csat_thanks" if counted else "console_csat_already"
        return [Outbound(catalog().text(turn.lang, key, bank=turn.bank), turn.lang)]

    async def continues(self, turn: Turn, parse: Parse) -> list[Outbound] | None:
        return None
