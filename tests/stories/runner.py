"""Run one story on one channel against the running gateway and list every way it went wrong.

Expected figures come from the sandbox's own ledger (ledger.py), formatted with CLDR for the story's language;
expected replies are catalogue keys matched against the catalogue's own wording; effects are read where they
live: card states at the sandbox bank, consents at the bank, alert preferences and hand-offs in the customer's
data export.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache, partial
from typing import Any

import httpx
from babel.numbers import format_currency

from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.conversation.flows.alerts import preference_change
from sarraf.conversation.nlu import load_default
from sarraf.i18n.replies import catalog
from sarraf.policy.secure_links import SignedLinks
from sarraf.store.key_store import key_provider
from tests.alerts.channel_world import ChannelWorld
from tests.alerts.conftest import ADMIN
from tests.stories.channels import DRIVERS, Driver, Seen, normalise
from tests.stories.ledger import Ledger, masked, period, read_ledger
from tests.stories.story import Step, Story

LOCALES = {"en": "en_GB", "pl": "pl_PL", "ar": "ar_SA"}
LINK_PHRASES = {"en": "link my account", "pl": "połącz moje konto", "ar": "اربط حسابي"}
MY_DATA_PHRASES = {"en": "what data do you hold about me?", "pl": "jakie dane o mnie przechowujesz?",
                   "ar": "ما البيانات التي تحتفظ بها عني؟"}
# Replies that carry bank data: on a link_only channel the platform gets the secure-page notice instead.
TRANSACTIONS_SHOWN = 5  # the replies list five; the ledger says which five
DATA_REPLIES = frozenset({"balance_header", "balance_line", "transactions_header", "transactions_none",
                          "transaction_line", "spending_category", "spending_total", "spending_none",
                          "spending_top", "spending_merchant", "spending_merchant_none"})

# Telegram paces replies to one chat at one a second, as the platform requires: stories take turns on a few
# linked chats of the same customer there, so one story's reply does not wait for the previous story's.
SHARED_CHATS = {"telegram": 4}


@dataclass
class Session:
    sender: str
    customer_id: str | None = None
    consent_id: str | None = None


@dataclass
class StoryWorld:
    """One gateway for every story: linked chats per (channel, customer), ledgers per customer."""

    world: ChannelWorld
    sessions: dict[tuple[str, str], list[Session]] = field(default_factory=dict)
    rounds: dict[tuple[str, str], int] = field(default_factory=dict)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    links: SignedLinks | None = None

    async def ledger(self, http: httpx.AsyncClient, customer: str) -> Ledger:
        if customer not in self.ledgers:
            self.ledgers[customer] = await read_ledger(http, self.world.bank, customer)
        return self.ledgers[customer]

    async def export(self, http: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
        if self.links is None:
            settings = self.world.app.state.container.settings
            self.links = SignedLinks(await key_provider(settings).secret("secure-links"), self.world.url)
        response = await http.get(self.links.issue("sandbox", customer_id, "export", None, None))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def reset_cards(self, customer: str) -> None:
        """`given: {card: active}`: the sandbox keeps only changed card statuses; forgetting them restores the seed."""
        path = self.world.app.state.container.settings.data_dir / "sandbox-bank.db"
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM card_statuses WHERE card_id LIKE ?", (f"{customer}-%",))


@cache
def _nlu():  # type: ignore[no-untyped-def]
    return load_default()


def routed_intent(text: str) -> str:
    """The intent the engine acts on: alert-preference words first (as the engine does), then the classifier."""
    if preference_change(text) is not None:
        return "manage_alerts"
    parse = _nlu().parse(text, now=datetime.now(UTC))
    return parse.intent if parse.in_scope else "out_of_scope"


def money(amount: Decimal, currency: str, lang: str) -> str:
    return normalise(format_currency(amount, currency, locale=LOCALES[lang]))


@cache
def _template(lang: str, key: str) -> re.Pattern[str]:
    entry = catalog().messages[lang][key]
    forms = entry.values() if isinstance(entry, dict) else [entry]
    alternatives = []
    for form in forms:
        parts = re.split(r"\{[a-z_0-9]+\}", normalise(str(form)))
        alternatives.append(".+?".join(re.escape(p) for p in parts))
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL)


async def run(sw: StoryWorld, story: Story, channel: str, http: httpx.AsyncClient) -> list[str]:
    """Every failed expectation of `story` on `channel`, as readable lines (empty: the story passed)."""
    driver = DRIVERS[channel](sw.world, http, channel)
    sw.world.http = http
    ledger = await sw.ledger(http, story.customer)
    if story.given.get("card") == "active":
        sw.reset_cards(story.customer)
    session = await _session(sw, driver, story)
    failures: list[str] = []
    seen: list[Seen] = []
    for n, step in enumerate(story.steps, 1):
        where = f"step {n} ({step.user or step.press or 'login'!r})"
        if step.intent and step.user and (got := routed_intent(step.user)) != step.intent:
            failures.append(f"{where}: intent {got!r}, expected {step.intent!r}")
        if step.login:
            url = next((b.url for m in seen for b in m.buttons if b.url and "/link/start/" in b.url), None)
            if url is None:
                failures.append(f"{where}: the previous reply offered no login button")
                break
            seen = await driver.after_login(session.sender, partial(sw.world.link, url, story.customer))
        elif step.press:
            if not any(b.payload == step.press for m in seen for b in m.buttons):
                failures.append(f"{where}: the previous reply offered no button {step.press!r}")
                break
            seen = await driver.press(session.sender, story.lang, step.press)
        else:
            seen = await driver.say(session.sender, story.lang, step.user or "")
        if not seen:
            failures.append(f"{where}: no reply")
            continue
        failures += [f"{where}: {f}" for f in await _check(sw, driver, story, step, seen, ledger, session, http)]
    return failures


async def _session(sw: StoryWorld, driver: Driver, story: Story) -> Session:
    if story.session == "unlinked":
        return Session(driver.new_sender())
    key = (driver.name, story.customer)
    pool = sw.sessions.setdefault(key, [])
    if story.session == "shared":
        sw.rounds[key] = turn = sw.rounds.get(key, -1) + 1
        if len(pool) >= SHARED_CHATS.get(driver.name, 1):
            return pool[turn % len(pool)]
    session = Session(driver.new_sender())
    invite = await driver.say(session.sender, story.lang, LINK_PHRASES[story.lang])
    url = next((b.url for m in invite for b in m.buttons if b.url and "/link/start/" in b.url), None)
    assert url, f"{driver.name}: no login button in {invite}"
    await sw.world.link(url, story.customer)
    summary = await driver.say(session.sender, story.lang, MY_DATA_PHRASES[story.lang])
    secure = next((b.url for m in summary for b in m.buttons if b.url and "/secure/" in b.url), None)
    assert secure, f"{driver.name}: no data export link in {summary}"
    held = (await driver.http.get(secure)).json()
    session.customer_id = held["customer"]["id"]
    session.consent_id = next(link["consent_id"] for link in held["bank_links"] if link["status"] == "AUTH")
    if story.session == "shared":
        pool.append(session)
    return session


async def _check(sw: StoryWorld, driver: Driver, story: Story, step: Step, seen: list[Seen], ledger: Ledger,
                 session: Session, http: httpx.AsyncClient) -> list[str]:
    lang, failures = story.lang, []
    texts = [normalise(m.text) for m in seen]
    everything = "\n".join(texts).casefold()
    data_step = bool(step.figures) or any(k in DATA_REPLIES for k in step.reply)
    for key in step.reply:
        if driver.kind == "link_only" and key in DATA_REPLIES:
            key = "link_only_notice"
        if not any(_template(lang, key).search(t) for t in texts):
            failures.append(f"no reply reads as {key!r}; got {texts}")
    for key in step.not_reply:
        if any(_template(lang, key).search(t) for t in texts):
            failures.append(f"a reply reads as {key!r}, which it must not; got {texts}")
    facts = {"last4": ledger.cards.get(ledger.debit_card(), "????")}
    if not (driver.kind == "link_only" and data_step):  # there the words are on the secure page
        failures += [f"{w!r} not in {texts}" for w in step.says if w.format(**facts).casefold() not in everything]
    failures += [f"{w!r} should not be in {texts}" for w in step.not_says if w.format(**facts).casefold() in everything]
    offered = {b.payload for m in seen for b in m.buttons}
    failures += [f"no button {p!r} (offered {sorted(map(str, offered))})" for p in step.buttons if p not in offered]
    if step.login_button and not any(b.url and "/link/start/" in b.url for m in seen for b in m.buttons):
        failures.append(f"no login button in {texts}")
    if step.figures:
        failures += await _figures(driver, lang, step.figures, seen, ledger, http)
    if step.effect:
        failures += await _effects(sw, step.effect, ledger, session, http)
    return failures


def _expected(figures: dict[str, Any], ledger: Ledger) -> tuple[list[Decimal], list[Decimal]]:
    """(exact amounts, the same as a masked channel shows them)."""
    today = datetime.now(UTC).date()
    if figures.get("balance"):
        values = list(ledger.balances.values())
        return values, [masked(v) for v in values]
    if figures.get("transactions") == "latest":  # what "recent transactions" lists: the last 30 days, newest first
        values = [e.signed_amount for e in ledger.latest(today - timedelta(days=30), TRANSACTIONS_SHOWN)]
        return values, [masked(v) for v in values]
    spec = figures["spending"]
    start, end = period(spec["period"], today)
    found = ledger.spent(start, end, spec.get("category"), spec.get("merchant"))
    exact = sum((e.amount for e in found), Decimal(0))
    rounded = sum((masked(e.amount) for e in found), Decimal(0))  # each payment is minimised, then summed
    return [exact], [rounded]


async def _figures(driver: Driver, lang: str, figures: dict[str, Any], seen: list[Seen], ledger: Ledger,
                   http: httpx.AsyncClient) -> list[str]:
    exact, rounded = _expected(figures, ledger)
    if not exact:
        return [f"the sandbox ledger holds no figure for {figures}: the story checks nothing"]
    cur = ledger.currency
    text = "\n".join(normalise(m.text) for m in seen)
    if driver.kind == "full":
        return [f"expected {money(v, cur, lang)} in {text!r}" for v in exact if money(v, cur, lang) not in text]
    if driver.kind == "masked":
        leaked = [f"the exact {money(v, cur, lang)} reached a masked channel"
                  for v, r in zip(exact, rounded, strict=True) if v != r and money(v, cur, lang) in text]
        return leaked + [f"expected {money(v, cur, lang)} (masked) in {text!r}" for v in rounded
                         if v and money(v, cur, lang) not in text]
    failures = [f"the platform message carries {money(v, cur, lang)}" for v in [*exact, *rounded]
                if v and money(v, cur, lang) in text]
    if re.search(r"\d[\d,.\s]*\d\s?(zł|£|ر\.س)|(£|ر\.س)\s?\d", text):
        failures.append(f"the platform message carries a money figure: {text!r}")
    url = next((b.url for m in seen for b in m.buttons if b.url and "/secure/" in b.url), None)
    if url is None:
        return [*failures, f"no secure page link in {text!r}"]
    page = await http.get(url)
    body = normalise(html.unescape(page.text))
    # the page answers the same question: narrowed to the category or merchant asked about, exact figures
    return failures + [f"the secure page lacks {money(v, cur, lang)}" for v in exact
                       if money(v, cur, lang) not in body]


async def _effects(sw: StoryWorld, effect: dict[str, Any], ledger: Ledger, session: Session,
                   http: httpx.AsyncClient) -> list[str]:
    failures: list[str] = []
    if "card" in effect:
        cards = (await http.get(f"{sw.world.bank}/sarraf/v1/admin/cases", headers=ADMIN)).json()["cards"]
        want = effect["card"] if isinstance(effect["card"], dict) else {ledger.debit_card(): effect["card"]}
        failures += [f"card {c} is {cards.get(c)!r} at the bank, expected {s!r}" for c, s in want.items()
                     if cards.get(c) != s]
    if "consent" in effect:
        connector = OpenBankingConnector(http, base_url=sw.world.bank, client_id="sarraf",
                                         client_secret="sandbox-secret", financial_id="0015800001041RHAAY",
                                         tenant="sandbox")
        assert session.consent_id, "a consent effect needs a linked session"
        status = (await connector.get_consent(session.consent_id)).status.value
        want = {"revoked": ("Revoked", "CANC"), "active": ("Authorised", "AUTH")}[effect["consent"]]
        if status not in want:
            failures.append(f"the consent is {status!r} at the bank, expected {effect['consent']}")
    held_keys = {"alerts", "handoff", "erased"} & set(effect)
    if held_keys:
        assert session.customer_id, "alert, hand-off and erasure effects need a linked session"
        held = await sw.export(http, session.customer_id)
        failures += _held(effect, held)
    return failures


def _held(effect: dict[str, Any], held: dict[str, Any]) -> list[str]:
    failures = []
    if effect.get("erased") and (held["channels"] or held["bank_links"] or held["customer"]):
        failures.append(f"not erased: {held['channels']}, {held['bank_links']}")
    if "handoff" in effect:
        reasons = [h["reason"] for h in held["requests_for_a_person"]]
        if effect["handoff"] not in reasons:
            failures.append(f"no hand-off {effect['handoff']!r} recorded (found {reasons})")
    if "alerts" in effect:
        prefs = next((p for p in held["alerts"]["preferences"] if p.get("tenant") == "sandbox"), None)
        if prefs is None:
            return [*failures, "no alert preferences stored"]
        for key, want in effect["alerts"].items():
            if key == "threshold":
                if not any(_number(v) == Decimal(str(want)) for v in prefs.values()):
                    failures.append(f"no stored threshold {want} in {prefs}")
            elif key == "disabled":
                if set(prefs["disabled"]) != set(want):
                    failures.append(f"alerts disabled {prefs['disabled']}, expected {want}")
            elif prefs.get(key) != want:
                failures.append(f"alert preference {key} is {prefs.get(key)!r}, expected {want!r}")
    return failures


def _number(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None and not isinstance(value, bool) else None
    except ArithmeticError:
        return None
