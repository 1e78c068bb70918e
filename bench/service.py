"""Customer-service benchmark (#13): the independently written service questions in
data/independent/service_dialogues (a separate author; never used for tuning) run through the real
conversation — NLU, the bank's knowledge base, grounding in the customer's data at the sandbox bank, the
card flows — exactly as every channel composes it, for a linked sandbox customer per language.

Each line is one dialogue: the customer asks; asked "which of these do you mean?" (the NLU unsure), taps their own
question if it is among the buttons, else "something else" (then it counts as handed off; `asked which` counts
how often the bot asked); asked "which card?", taps the card the payment they are asking about was made with (they
saw it on that card; the first card offered if the bank's data names none); if the bot answered, the customer
then says whether it helped ("yes" when the answer was right, "that didn't help" when it was not), so every
dialogue ends closed.

    resolved   the answer to the labelled intent was given (the knowledge-base answer, or for a lost or stolen
               card the card flow's offer to freeze or block), and where the answer is grounded, the fact
               from the customer's own data is in it (the card's last digits, the item's name, the rate), as
               the sandbox bank itself holds it — never taken from the bot's reply
    handed off the bot did not answer: asked to rephrase, offered or called a person, or said it cannot yet
    wrong      anything else: another question's answer, or a grounded answer without the expected fact

A dialogue that says the same words as a training line (BANKING77's own, say) is left out and counted, as the NLU's
evaluation of independent lines does; tests/nlu/test_data_independence.py keeps our own training lines clear of them.

A reference run in the same process replaces the NLU's intent with the labelled one (language and entities
still come from the NLU), which separates understanding errors from answer errors; the ratio is
resolved / resolved-with-gold-intent.

    .venv/bin/python bench/service.py          # ~1 min
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import format_decimal
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from sarraf.bootstrap import Container, build
from sarraf.channels import terminal
from sarraf.cli.terminal import _turn
from sarraf.config import load_banks, load_settings
from sarraf.conversation.flows.service import PICK
from sarraf.conversation.nlu.training import independent
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.ports import Understanding
from sarraf.conversation.service_grounding import CARD_PREFIX, GROUNDED
from sarraf.domain.messages import Inbound, InboundKind
from sarraf.domain.money import Money
from sarraf.i18n.replies import catalog, format_money
from sarraf.i18n.replies.formatting import locale_for, strip_bidi_marks
from sarraf.kb import KnowledgeBase, load
from sarraf.sandbox_bank.app import create_app as create_sandbox_bank
from sarraf.sandbox_bank.seed import seed_bank
from sarraf.sandbox_bank.service import NEW_CARDS, activity_of
from sarraf.web.threaded_server import serve_in_thread

ROOT = Path(__file__).resolve().parents[1]
DIALOGUES = ROOT / "data" / "independent" / "service_dialogues"
LANGS = ("ar", "pl", "en")
CUSTOMER = {"en": "sandbox-en-1", "pl": "sandbox-pl-1", "ar": "sandbox-ar-1"}
LINK = {"en": "link my account", "pl": "połącz konto", "ar": "اربط حسابي البنكي"}
HANDED_OFF = ("rephrase", "human_handoff", "service_question", "not_available", "service_offer_handoff",
              "service_unclear", "service_something_else")
CARD_OFFERS = ("card_lost_offer", "card_stolen_offer", "card_lost_offer_frozen", "card_stolen_offer_frozen")
FEE_TOPICS = {"card_payment_fee_charged": ("card_payment_fee",), "cash_withdrawal_charge": ("atm_fee",),
              "transfer_fee_charged": ("transfer_fee",), "extra_charge_on_statement": None}


@dataclass(frozen=True)
class Line:
    lang: str
    text: str
    intent: str


class GoldIntent:
    """The reference: the NLU's language and entities, the labelled intent."""

    def __init__(self, nlu: Understanding) -> None:
        self.nlu = nlu
        self.gold: str | None = None

    def parse(self, text: str, now: datetime | None = None, known_lang: str | None = None) -> Parse:
        found = self.nlu.parse(text, now=now, known_lang=known_lang)
        if self.gold is None:
            return found
        return replace(found, intent=self.gold, in_scope=True, confidence=1.0)


def load_lines() -> tuple[list[Line], int]:
    """The dialogues to score, and how many were left out because a training line says the same words (as the
    NLU's evaluation of independent lines does: a short natural question can coincide with one of BANKING77's
    own; scoring it would reward memory)."""
    trained = independent.training_keys()
    lines, left_out = [], 0
    for lang in LANGS:
        for item in yaml.safe_load((DIALOGUES / f"{lang}.yaml").read_text(encoding="utf-8")):
            if independent.is_training_line(str(item["text"]), trained):
                left_out += 1
                continue
            lines.append(Line(lang, str(item["text"]), str(item["intent"])))
    return lines, left_out


def _plain(text: str) -> str:
    return strip_bidi_marks(text).replace("\u00a0", " ").replace("\u202f", " ")


def expected_facts(intent: str, lang: str) -> list[str]:
    """What a grounded answer must name, read from the sandbox bank's own data (not from the bot)."""
    if intent not in GROUNDED:
        return []
    customer = CUSTOMER[lang]
    kind, topics = GROUNDED[intent]
    if kind == "delivery":
        return [NEW_CARDS[customer][0]]
    items = activity_of(seed_bank(datetime.now(UTC).date()), customer)
    if kind in ("pending", "pending_in", "declined"):
        want = "declined" if kind == "declined" else "pending"
        return [next(i["Description"] for i in items if i["Kind"] == want and i["Topic"] in topics)]
    if kind == "fees":
        fee = next(i for i in items if i["Kind"] == "fee" and i["Topic"] in topics)
        return [_plain(format_money(Money.of(Decimal(fee["Amount"]["Amount"]), fee["Amount"]["Currency"]), lang))]
    if kind == "unrecognised":
        return [next(i["Description"] for i in items if i["Kind"] == "payment" and i["Topic"] == topics[0]
                     and "OriginalAmount" not in i)]
    if kind == "fx":
        rate = Decimal(next(i["AppliedRate"] for i in items if "AppliedRate" in i))
        return [str(format_decimal(rate, format="0.0000", locale=locale_for(lang)))]  # the language's separator
    return []  # rates: the table itself, checked by the answer being there


def card_asked_about(intent: str, lang: str) -> str | None:
    """The last digits of the card that made the payment the customer does not recognise, as the bank holds it."""
    if GROUNDED.get(intent, ("", ()))[0] != "unrecognised":
        return None
    topics = GROUNDED[intent][1]
    items = activity_of(seed_bank(datetime.now(UTC).date()), CUSTOMER[lang])
    item = next(i for i in items if i["Kind"] == "payment" and i["Topic"] == topics[0] and "OriginalAmount" not in i)
    return str(item["CardLast4"]) if "CardLast4" in item else None


def judge(replies: list[str], line: Line, kb: KnowledgeBase) -> str:
    said = _plain("\n".join(replies))
    c = catalog()
    answer = kb.answer(line.intent, line.lang)
    if answer is not None and _plain(answer) in said:
        return "resolved" if all(f in said for f in expected_facts(line.intent, line.lang)) else "wrong"
    offers = [_template(line.lang, k) for k in CARD_OFFERS]
    if line.intent == "lost_or_stolen_card" and any(o.fullmatch(_plain(r)) for o in offers for r in replies):
        return "resolved"
    handed = {_plain(c.text(line.lang, k, bank=_BANK[line.lang])) for k in HANDED_OFF}
    if any(_plain(r) in handed for r in replies):
        return "handed off"
    return "wrong"


def _template(lang: str, key: str) -> re.Pattern[str]:
    """A catalogue entry as a pattern: its placeholders match anything (the card's digits, the bank)."""
    parts = re.split(r"\{[a-z_0-9]+\}", _plain(catalog().text(lang, key, bank="{bank}", last4="{last4}")))
    return re.compile(".+?".join(re.escape(p) for p in parts), re.DOTALL)


_BANK: dict[str, Any] = {}
SHOW = False


async def run(container: Container, bank: FastAPI, lines: list[Line], kb: KnowledgeBase,
              gold: GoldIntent | None) -> Counter[tuple[str, str]]:
    tenant = next(iter(container.banks))
    counts: Counter[tuple[str, str]] = Counter()
    store = bank.state.sandbox.store
    for line in lines:
        customer = CUSTOMER[line.lang]
        for card_id in store.card_statuses():  # each dialogue starts with the customer's cards as seeded
            store.set_card_status(card_id, "active")
        if gold is not None:
            gold.gold = line.intent
        replies = await _turn(container, tenant, customer, line.text, auto_link=False)
        picks = [q.payload for r in replies for q in r.quick_replies if q.payload and q.payload.startswith(PICK)]
        if picks:  # "which of these do you mean?": their own question if offered, else "something else"
            counts[(line.lang, "asked which")] += 1
            pick = PICK + line.intent if PICK + line.intent in picks else PICK
            replies += await container.conversation.handle(
                tenant, Inbound(terminal.NAME, customer, InboundKind.POSTBACK, payload=pick))
        offered = [q.payload for r in replies for q in r.quick_replies
                   if q.payload and q.payload.startswith(CARD_PREFIX)]
        card = card_asked_about(line.intent, line.lang)
        choice = next((p for p in offered if card is not None and p.endswith(f":{card}")),
                      offered[0] if offered else None)
        if choice is not None:  # "which card?": the customer taps the card they saw the payment on
            replies += await container.conversation.handle(
                tenant, Inbound(terminal.NAME, customer, InboundKind.POSTBACK, payload=choice))
        verdict = judge([r.text for r in replies], line, kb)
        counts[(line.lang, verdict)] += 1
        if SHOW and verdict != "resolved":
            print(f"{'gold' if gold else 'nlu '} {line.lang} {verdict:10} {line.intent:35} {line.text[:60]!r} -> "
                  f"{replies[0].text[:70]!r}" if replies else "(no reply)")
        if gold is not None:
            gold.gold = None
        # the customer answers "did that help?" (or says nothing more when handed off), so nothing stays open
        if verdict != "handed off":
            follow = {"en": ("yes", "that didn't help"), "pl": ("tak", "nie pomogło"), "ar": ("نعم", "لم يساعد")}
            await _turn(container, tenant, customer, follow[line.lang][verdict != "resolved"], auto_link=False)
    return counts


async def bench() -> None:
    console = Console()
    lines, left_out = load_lines()
    with tempfile.TemporaryDirectory() as home:
        os.environ["SARRAF_HOME"] = home
        os.environ.pop("SARRAF_DATABASE_URL", None)
        settings = load_settings()
        banks = load_banks(settings.banks_file)
        bank = banks["sandbox"]
        kb = load("sandbox", bank.service.answers, bank.service.overrides, bank.service.values)
        _BANK.update({lang: bank.name.in_lang(lang) for lang in LANGS})
        sandbox = create_sandbox_bank(state_path=Path(home) / "sandbox-bank.db")
        with serve_in_thread(sandbox) as bank_url:
            gateway = await build(settings, bank_urls={b.id: bank_url for b in banks.values() if b.embedded})
            container = gateway.web
            try:
                for lang in LANGS:  # a linked customer per language, as a bank's customers would be
                    await _turn(container, "sandbox", CUSTOMER[lang], LINK[lang], auto_link=True)
                t0 = time.perf_counter()
                real = await run(container, sandbox, lines, kb, None)
                seconds = time.perf_counter() - t0
                gold = GoldIntent(container.conversation._nlu)
                container.conversation._nlu = gold
                reference = await run(container, sandbox, lines, kb, gold)
            finally:
                await gateway.aclose()
    table = Table(title=f"Service dialogues ({len(lines)} lines, {seconds:.0f} s for the NLU run; {left_out} left "
                        "out: the same words as a training line)")
    for column in ("lang", "lines", "resolved", "wrong", "handed off", "asked which", "resolved (gold intent)",
                   "wrong (gold intent)", "ratio"):
        table.add_column(column, justify="right")
    figures: dict[str, float] = {}
    for lang in LANGS:
        n = sum(1 for line in lines if line.lang == lang)
        pct = {k: 100 * real[(lang, k)] / n for k in ("resolved", "wrong", "handed off", "asked which")}
        ref = {k: 100 * reference[(lang, k)] / n for k in ("resolved", "wrong")}
        figures[f"resolved_pct_{lang}"] = pct["resolved"]
        figures[f"gold_resolved_pct_{lang}"] = ref["resolved"]
        table.add_row(lang, str(n), f"{pct['resolved']:.1f}%", f"{pct['wrong']:.1f}%", f"{pct['handed off']:.1f}%",
                      f"{pct['asked which']:.1f}%", f"{ref['resolved']:.1f}%", f"{ref['wrong']:.1f}%",
                      f"{pct['resolved'] / ref['resolved']:.3f}" if ref["resolved"] else "-")
    console.print(table)
    total = len(lines)
    asked = 100 * sum(v for (_, k), v in real.items() if k == "asked which") / total
    wrong = 100 * sum(v for (_, k), v in real.items() if k == "wrong") / total
    gold_wrong = 100 * sum(v for (_, k), v in reference.items() if k == "wrong") / total
    resolved = sum(v for (_, k), v in real.items() if k == "resolved")
    gold_resolved = sum(v for (_, k), v in reference.items() if k == "resolved")
    print(f"RESULT resolved_pct_ar={figures['resolved_pct_ar']:.1f} resolved_pct_pl={figures['resolved_pct_pl']:.1f} "
          f"resolved_pct_en={figures['resolved_pct_en']:.1f} wrong_pct={wrong:.1f} "
          f"gold_resolved_pct={100 * gold_resolved / total:.1f} gold_wrong_pct={gold_wrong:.1f} "
          f"ratio={resolved / gold_resolved if gold_resolved else 0:.3f} asked_which_pct={asked:.1f} "
          f"scored={total} left_out={left_out}")


def main() -> None:
    global SHOW
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print every dialogue not resolved")
    SHOW = parser.parse_args().show
    asyncio.run(bench())


if __name__ == "__main__":
    main()
