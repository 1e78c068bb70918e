"""The CLI's rough edges (issue #21): audit on a fresh folder and at 80 columns, policy vocabulary, and
`sandbox simulate` finding the running gateway by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console

from sarraf.cli.audit import decisions_table
from tests.support.live_server import free_port

START_TIMEOUT_S = 180.0  # a start-up bound for a loaded machine, not a speed assertion


def sarraf(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SARRAF_HOME": str(home), "COLUMNS": "80", **env}
    environment.pop("SARRAF_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "sarraf", *args], capture_output=True, text=True,
                          env=environment, timeout=300, check=False)


def test_audit_verify_on_a_fresh_folder_has_nothing_to_verify_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "never-started"
    result = sarraf(home, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "nothing to verify" in result.stdout
    assert result.stderr == ""
    assert not home.exists()
    shown = sarraf(home, "audit", "show")
    assert shown.returncode == 0 and "no decisions yet" in shown.stdout
    assert not home.exists()


def test_audit_show_fits_80_columns_with_nothing_cut_off(tmp_path: Path) -> None:
    assert sarraf(tmp_path, "say", "--as", "sandbox-en-1", "what's my balance?").returncode == 0
    result = sarraf(tmp_path, "audit", "show")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, result.stdout
    assert "…" not in result.stdout
    text = "".join(line.strip() for line in lines)
    assert "essential.service." in text and "operations.support" in text and "terminal" in text
    verified = sarraf(tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "OK" in verified.stdout


def test_the_decisions_table_of_two_banks_fits_80_columns() -> None:
    leaf = {"time": "2026-12-05T08:05:38.783Z", "customer": "c543b6447d0dfae6bf5c67d5508bf0d2", "outcome": "deny",
            "purpose": "marketing.advertising.third_party.targeted", "recipient": "messenger",
            "minimisation": None, "policy_id": "forbid-third-party-marketing-everywhere"}
    rows = [(7, {**leaf, "tenant": "sandbox"}), (8, {**leaf, "tenant": "another-bank-with-a-long-id"})]
    console = Console(width=80, record=True, color_system=None)
    console.print(decisions_table(rows))
    out = console.export_text()
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert "…" not in out
    header = next(line for line in out.splitlines() if "purpose" in line)
    assert header.split() == ["#", "time", "(UTC)", "bank", "customer", "purpose", "recipient", "decision", "policy"]
    assert "sandbox" in out and "c543b644" in out


def test_policy_check_rejects_words_the_vocabulary_does_not_know_and_lists_the_valid_ones(tmp_path: Path) -> None:
    good = ["--bank", "sandbox", "--purpose", "essential.service.operations.support",
            "--category", "user.financial.bank_account.balance", "--recipient", "webchat"]
    allowed = sarraf(tmp_path, "policy", "check", *good)
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["decision"] == "allow"
    cases = {
        "--purpose": ("essential.service.operations.suport", "essential.service.operations.support"),
        "--category": ("user.financial.balance", "user.financial.bank_account.balance"),
        "--recipient": ("sms", "telegram"),
    }
    for option, (unknown, listed) in cases.items():
        argv = list(good)
        argv[argv.index(option) + 1] = unknown
        result = sarraf(tmp_path, "policy", "check", *argv)
        assert result.returncode == 2, (option, result.stdout)
        assert f"'{unknown}' is not in the vocabulary" in result.stderr
        assert listed in result.stderr
        assert "Traceback" not in result.stderr


def test_sandbox_simulate_with_nothing_listening_says_so_in_one_line(tmp_path: Path) -> None:
    result = sarraf(tmp_path, "sandbox", "simulate", "card-payment", "--customer", "sandbox-en-1",
                    "--merchant", "Pret A Manger", "--amount", "7.85", SARRAF_PORT=str(free_port()))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "no sandbox bank answers at http://127.0.0.1:" in result.stderr
    assert "sarraf serve" in result.stderr


def test_sandbox_simulate_as_the_readme_writes_it_reaches_the_running_gateway(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SARRAF_HOME": str(tmp_path)}
    env.pop("SARRAF_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "sarraf", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert server.poll() is None, "sarraf serve exited"
                assert time.monotonic() < deadline, "sarraf serve did not start"
                time.sleep(0.1)
        # The customer links through the terminal; the sandbox's state is the data folder's, shared with serve.
        assert sarraf(tmp_path, "say", "--as", "sandbox-en-1", "what's my balance?").returncode == 0
        # The README's command, untouched: the gateway's port comes from the configuration (SARRAF_PORT).
        result = sarraf(tmp_path, "sandbox", "simulate", "card-payment", "--customer", "sandbox-en-1",
                        "--merchant", "Pret A Manger", "--amount", "7.85", SARRAF_PORT=str(port))
        assert result.returncode == 0, result.stderr
        events = [json.loads(line) for line in result.stdout.splitlines()]
        assert events and all(e["event"] for e in events), result.stdout
    finally:
        server.terminate()
        server.wait(timeout=60)
