"""The console walked through in Debian's Chromium, as people use it: a customer in the web chat asks for a
person; an agent logs in (password + TOTP), claims the conversation, replies and hands it back; the customer
sees the reply, answers "how did we do?" with one tap, and the bot answers again; compliance verifies the audit
log from its page; the customer opens "who has seen my data?" and revokes the link there. Screenshots of each
step land in test-artifacts/ (console-*.png)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from sarraf.config import Settings
from sarraf.i18n.replies import catalog
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.browser.chromium import ARTIFACTS

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
BANK = "Sarraf Sandbox Bank"


@dataclass
class Desk:
    url: str
    totp: dict[str, str]  # staff e-mail -> TOTP secret, as `sarraf staff add` showed it once


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    home = tmp_path_factory.mktemp("console-browser")
    port = free_port()
    db = f"sqlite+aiosqlite:///{home / 'db.sqlite'}"
    banks = ROOT / "src/sarraf/banks.yaml"
    settings = Settings(data_dir=home, database_url=db, banks_file=banks, public_url=f"http://127.0.0.1:{port}",
                        port=port)
    app = create_app(settings)
    with serve_in_thread(app, port=port) as url:
        env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": db, "SARRAF_BANKS_FILE": str(banks),
               "PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
        totp = {}
        for email, role in (("agent@bank.test", "agent"), ("comp@bank.test", "compliance")):
            added = subprocess.run([sys.executable, "-m", "sarraf", "staff", "add", "--bank", "sandbox", "--role",
                                    role, email], input=PASSWORD + "\n", capture_output=True, text=True, env=env,
                                   check=True)
            found = re.search(r"TOTP secret \(shown once\): ([A-Z2-7]+)", added.stdout)
            assert found is not None
            totp[email] = found.group(1)
        yield Desk(url, totp)



def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def say(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def log_in(page: Page, desk: Desk, email: str) -> None:
    page.goto(f"{desk.url}/console/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#code", pyotp.TOTP(desk.totp[email]).now())
    page.click("#login")


def test_a_person_takes_over_hands_back_and_everyone_can_check(desk: Desk, browser: Browser) -> None:
    en = catalog()
    customer = browser.new_page(locale="en-GB")
    customer.goto(f"{desk.url}/?lang=en")
    say(customer, "what's my balance?")  # link first, so the privacy page has a consent to revoke
    customer.locator(".bubble.bot .actions a").first.click()
    customer.fill("#username", "sandbox-en-1")
    customer.fill("#password", "sandbox")
    customer.click("button[value=approve]")
    expect(customer.locator(".bubble.bot").filter(has_text="Everyday")).to_be_visible(timeout=15_000)
    say(customer, "I want to talk to a person")
    expect(customer.locator(".bubble.bot").last).to_contain_text(en.text("en", "human_handoff", bank=BANK)[:20])
    shot(customer, "1-customer-asks")

    agent = browser.new_page(locale="en-GB")
    log_in(agent, desk, "agent@bank.test")
    expect(agent.locator("#queue tbody tr")).to_have_count(1, timeout=10_000)
    shot(agent, "2-queue")
    agent.locator("#queue tbody tr a").first.click()
    agent.click("#claim")
    expect(customer.locator(".bubble.bot").filter(has_text="joined the conversation")).to_be_visible(timeout=10_000)
    say(customer, "my card payment to Tesco went through twice")
    expect(agent.locator("#transcript-live")).to_contain_text("went through twice", timeout=10_000)
    agent.fill("#reply", "I can see it. The second payment is reversed; it will be back within 3 days.")
    agent.click("#send")
    expect(customer.locator(".bubble").filter(has_text="second payment is reversed")).to_be_visible(timeout=10_000)
    agent.click("#balances")  # what the agent sees of the bank data is a decision for `agent_console`
    expect(agent.locator("#balances-result")).to_contain_text("Everyday", timeout=10_000)
    shot(agent, "3-conversation")
    shot(customer, "4-customer-sees-the-agent")
    agent.click("#hand-back")
    expect(customer.locator(".bubble.bot").filter(has_text="back with")).to_be_visible(timeout=10_000)
    customer.locator(".quick button").filter(has_text="Good").click()
    expect(customer.locator(".bubble.bot").last).to_contain_text(
        en.text("en", "console_csat_thanks", bank=BANK), timeout=10_000)
    say(customer, "what's my balance?")  # the bot answers again
    expect(customer.locator(".bubble.bot").last).to_contain_text("Everyday", timeout=10_000)
    shot(customer, "5-back-with-the-bot")

    compliance = browser.new_page(locale="en-GB")
    log_in(compliance, desk, "comp@bank.test")
    expect(compliance).to_have_url(re.compile(r"/console/audit"))
    compliance.click("#verify")
    expect(compliance.locator("#verify-result.ok")).to_be_visible(timeout=15_000)
    shot(compliance, "6-audit-verified")

    say(customer, "who has seen my data?")
    privacy = customer.locator(".bubble.bot .actions a").last
    expect(privacy).to_be_visible(timeout=10_000)
    page = browser.new_page(locale="en-GB")
    page.goto(str(privacy.get_attribute("href")))
    expect(page.locator("body")).to_contain_text("agent_console")  # the agent's view is one of the decisions
    page.click("#revoke")
    expect(page.locator("#revoked")).to_be_visible(timeout=10_000)
    shot(page, "7-privacy-revoked")
    for p in (customer, agent, compliance, page):
        p.close()
