"""The terminal channel from a subprocess, as a person would use it, in all three languages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def say(home: Path, customer: str, text: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SARRAF_HOME": str(home)}
    env.pop("SARRAF_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "sarraf", "say", "--as", customer, text],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("customer", "text", "linked", "currency"),
    [
        ("sandbox-en-1", "what's my balance?", "are now linked", "£"),
        ("sandbox-pl-1", "ile mam na koncie?", "są połączone", "zł"),
        ("sandbox-ar-1", "كم رصيدي؟", "تم ربط حساباتك", "ر.س."),
    ],
)
@pytest.mark.slow  # each run a `sarraf say` process that starts the gateway and links at the sandbox
def test_say_links_a_sandbox_customer_and_answers(
    tmp_path: Path, customer: str, text: str, linked: str, currency: str
) -> None:
    first = say(tmp_path, customer, text)
    assert first.returncode == 0, first.stderr
    assert linked in first.stdout
    assert currency in first.stdout
    # The second run reuses the stored (encrypted) tokens: no new login, straight to the answer.
    second = say(tmp_path, customer, text)
    assert second.returncode == 0, second.stderr
    assert linked not in second.stdout and currency in second.stdout


def test_say_answers_small_talk_without_a_bank_login(tmp_path: Path) -> None:
    result = say(tmp_path, "sandbox-pl-1", "cześć")
    assert result.returncode == 0, result.stderr
    assert "Dzień dobry" in result.stdout


def test_unknown_bank_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "SARRAF_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "sarraf", "say", "--bank", "nope", "hi"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "unknown bank" in result.stderr


def test_unknown_sandbox_customer_is_told_linking_failed_in_their_language(tmp_path: Path) -> None:
    result = say(tmp_path, "sandbox-nobody-9", "ile mam na koncie?")
    assert result.returncode == 0, result.stderr
    assert "nie zostało zakończone" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # three `sarraf` processes: link, rotate the keys, answer again
def test_key_rotation_keeps_linked_customers_working(tmp_path: Path) -> None:
    assert say(tmp_path, "sandbox-en-1", "what's my balance?").returncode == 0
    env = {**os.environ, "SARRAF_HOME": str(tmp_path)}
    env.pop("SARRAF_DATABASE_URL", None)
    rotated = subprocess.run([sys.executable, "-m", "sarraf", "keys", "rotate"], capture_output=True, text=True,
                             env=env, timeout=60, check=False)
    assert rotated.returncode == 0, rotated.stderr
    assert "master key is now local:v2" in rotated.stdout and "1 data key(s) re-wrapped" in rotated.stdout
    again = say(tmp_path, "sandbox-en-1", "what's my balance?")
    assert again.returncode == 0 and "£" in again.stdout and "are now linked" not in again.stdout
