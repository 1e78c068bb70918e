"""The terminal is composed like every channel (card actions, alert flows) and prints only links that work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sarraf.cli.terminal import run_turns
from sarraf.sandbox_bank.store import Store
from tests.support.step_up_banks import banks_with_step_up

URL = re.compile(r"https?://\S+")


def say(home: Path, customer: str, *texts: str,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SARRAF_HOME": str(home), **(env or {})}
    env.pop("SARRAF_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "sarraf", "say", "--as", customer, *texts],
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def card_status(home: Path, card_id: str) -> str | None:
    store = Store(home / "sandbox-bank.db")
    try:
        return store.card_status(card_id)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("customer", "balance", "freeze", "frozen"),
    [
        ("sandbox-en-1", "what's my balance?", "freeze my card", "is frozen"),
        ("sandbox-pl-1", "ile mam na koncie?", "zablokuj kartę", "jest zablokowana"),
        ("sandbox-ar-1", "كم رصيدي؟", "جمد بطاقتي", "تم تجميد بطاقتك"),
    ],
)
def test_freezing_the_card_from_the_terminal_freezes_it_at_the_bank(
    tmp_path: Path, customer: str, balance: str, freeze: str, frozen: str
) -> None:
    result = say(tmp_path, customer, balance, freeze)
    assert result.returncode == 0, result.stderr
    assert frozen in result.stdout
    assert "can't do that in chat yet" not in result.stdout
    assert card_status(tmp_path, f"{customer}-debit") == "frozen"


def test_unfreeze_from_the_terminal_waits_for_the_step_up_login_then_unfreezes(tmp_path: Path) -> None:
    """With the bank asking for a step-up, the scripted customer logs in at the sandbox again (as it does to
    link) and only then is the card unfrozen; the login is a re-confirmation, not a second "linked"."""
    env = {"SARRAF_BANKS_FILE": str(banks_with_step_up(tmp_path))}
    result = say(tmp_path, "sandbox-en-1", "what's my balance?", "freeze my card", "unfreeze my card", env=env)
    assert result.returncode == 0, result.stderr
    assert "To unfreeze your card, please confirm it's you at" in result.stdout
    assert result.stdout.index("confirm it's you") < result.stdout.index("active again")
    assert card_status(tmp_path, "sandbox-en-1-debit") == "active"


def test_alert_preferences_are_set_from_the_terminal(tmp_path: Path) -> None:
    result = say(tmp_path, "sandbox-en-1", "what's my balance?", "turn on alerts for payments over 100")
    assert result.returncode == 0, result.stderr
    assert "can't do that in chat yet" not in result.stdout
    assert "alerts are on" in result.stdout.lower()


def test_several_messages_are_turns_of_one_conversation_in_order(tmp_path: Path) -> None:
    result = say(tmp_path, "sandbox-en-1", "what's my balance", "show my recent transactions")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("are now linked") < out.index("Your balances") < out.index("Your last")
    # The sandbox customer is linked by the terminal itself: no login link is printed for nobody to press.
    assert "/link/start/" not in out


def test_every_link_a_scripted_session_prints_is_served_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SARRAF_DATABASE_URL", raising=False)
    checked: list[tuple[str, int]] = []

    def show(block: str) -> None:
        for url in URL.findall(block):
            checked.append((url, httpx.get(url, follow_redirects=True, timeout=30).status_code))

    # A sandbox customer (linked automatically) and one who must log in at the bank through the printed link.
    run_turns("sandbox-en-1", ["what's my balance", "show my recent transactions", "export my data",
                               "what can you do?"], bank=None, data_dir=tmp_path, show=show)
    run_turns("alice", ["what's my balance"], bank=None, data_dir=tmp_path, show=show)
    kinds = {("/secure/" in url, "/link/start/" in url) for url, _ in checked}
    assert {(True, False), (False, True)} <= kinds, checked  # the export page and a bank login were printed
    assert all(status == 200 for _, status in checked), checked
    assert not any(url.startswith("http://127.0.0.1:8000/") for url, _ in checked)


def test_the_shell_says_what_it_is_connected_to_before_the_first_prompt(tmp_path: Path) -> None:
    env = {**os.environ, "SARRAF_HOME": str(tmp_path)}
    env.pop("SARRAF_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "sarraf", "shell", "--as", "sandbox-pl-1"], input="cześć\n/quit\n",
                            capture_output=True, text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    greeting = result.stdout[: result.stdout.index("you> ")]
    assert "sandbox-pl-1" in greeting and "Sarraf Sandbox Bank" in greeting
    assert f"sqlite+aiosqlite:///{tmp_path / 'sarraf.db'}" in greeting
    assert "Dzień dobry" in result.stdout[len(greeting):]


def test_the_agreement_gives_the_terminal_full_disclosure() -> None:
    """Why the terminal shows balances and transactions inline instead of linking to a secure page."""
    import json

    from typer.testing import CliRunner

    from sarraf.cli import app

    for category in ("user.financial.bank_account.balance", "user.financial.bank_account.transactions"):
        result = CliRunner().invoke(app, [
            "policy", "check", "--bank", "sandbox", "--purpose", "essential.service.operations.support",
            "--category", category, "--category", "user.financial.bank_account.identifiers",
            "--recipient", "terminal"])
        assert result.exit_code == 0, result.output
        decision = json.loads(result.output)
        assert (decision["decision"], decision["minimisation"]) == ("allow", "full")
