"""`sarraf say` pays as a scripted sandbox customer: several messages are turns of one conversation, the bank
login and the payment's strong authentication (login + one-time code) are scripted, and the next conversation
lists the payment among the transactions, once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def say(home: Path, *texts: str) -> str:
    env = {**os.environ, "SARRAF_HOME": str(home)}
    env.pop("SARRAF_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "sarraf", "say", "--as", "sandbox-en-1", *texts],
                          capture_output=True, text=True, env=env, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow  # two `sarraf say` processes, each starting the gateway and the sandbox
def test_say_pays_a_saved_payee_and_the_transactions_list_it_once(tmp_path: Path) -> None:
    paid = say(tmp_path, "send £7.31 to Alice Smith for dinner", "yes")
    assert "Please check: pay £7.31 to Alice Smith (•••• 1733)" in paid
    assert "Sent: £7.31 to Alice Smith." in paid
    listed = say(tmp_path, "show my recent transactions")
    assert listed.count("Alice Smith dinner · -£7.31") == 1, listed
