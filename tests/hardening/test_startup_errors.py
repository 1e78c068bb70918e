"""Finding 7 of #17: a database that cannot be reached gave a 146-line traceback. Every way `sarraf serve` cannot
start (database, banks file, agreement, keys, channel secrets, data folder) is now one line on stderr naming what
is wrong and how to fix it, exit status 2, no traceback; the banner names both ports when SARRAF_PUBLIC_URL's
differs from --port. The CLI runs as a subprocess, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sarraf.web.threaded_server import free_port
from tests.support.step_up_banks import banks_with_step_up

BANKS = Path(__file__).resolve().parents[2] / "src/sarraf/banks.yaml"


def serve(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SARRAF_")}
    environment.update({"SARRAF_HOME": str(home), "COLUMNS": "80", **env})
    return subprocess.run([sys.executable, "-m", "sarraf", "serve", "--port", str(free_port()), *args],
                          capture_output=True, text=True, env=environment, timeout=300, check=False)


def _one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def _banks_with(tmp_path: Path, old: str, new: str) -> Path:
    banks = tmp_path / "banks.yaml"
    text = BANKS.read_text(encoding="utf-8")
    assert old in text
    banks.write_text(text.replace(old, new).replace("kb/sandbox", str(BANKS.parent / "kb/sandbox")),
                     encoding="utf-8")
    return banks


def test_unreachable_database(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    line = _one_line(serve(tmp_path, SARRAF_DATABASE_URL=f"postgresql+asyncpg://sarraf:hunter2@127.0.0.1:{port}/s"),
                     "cannot reach the database", f"127.0.0.1:{port}", "SARRAF_DATABASE_URL")
    assert "hunter2" not in line and "***" in line


def test_missing_banks_file(tmp_path: Path) -> None:
    _one_line(serve(tmp_path, SARRAF_BANKS_FILE=str(tmp_path / "nowhere.yaml")),
              "banks file", "nowhere.yaml", "SARRAF_BANKS_FILE")


def test_banks_file_with_a_bad_time_zone(tmp_path: Path) -> None:
    banks = _banks_with(tmp_path, "Europe/London", "Mars/Olympus")
    _one_line(serve(tmp_path, SARRAF_BANKS_FILE=str(banks)), "banks file", "Mars/Olympus", "is not a time zone")


def test_broken_agreement(tmp_path: Path) -> None:
    broken = tmp_path / "broken.cedar"
    broken.write_text("permit(principal, action, resource\n", encoding="utf-8")
    banks = _banks_with(tmp_path, "agreement: policy/agreements/default.cedar", f"agreement: {broken}")
    _one_line(serve(tmp_path, SARRAF_BANKS_FILE=str(banks)), "agreement of bank 'sandbox'", "broken.cedar",
              "sarraf policy lint")


def test_step_up_that_would_hold_a_freeze(tmp_path: Path) -> None:
    banks = banks_with_step_up(tmp_path, {"actions": ["card_freeze"]})  # freezing must stay one tap
    _one_line(serve(tmp_path, SARRAF_BANKS_FILE=str(banks)), "bank 'sandbox'", "card_freeze", "step_up")


def test_master_key_readable_by_others(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    master = keys / "master-v1.key"
    master.write_bytes(os.urandom(32))
    master.chmod(0o644)
    _one_line(serve(tmp_path), "keys", "master-v1.key", "chmod 600")


def test_half_configured_telegram(tmp_path: Path) -> None:
    _one_line(serve(tmp_path, SARRAF_TELEGRAM_BOT_TOKEN="123:abc"), "telegram is half-configured",
              "SARRAF_TELEGRAM_SECRET_TOKEN missing", "unset SARRAF_TELEGRAM_BOT_TOKEN")


def test_telegram_secret_the_platform_refuses(tmp_path: Path) -> None:
    _one_line(serve(tmp_path, SARRAF_TELEGRAM_BOT_TOKEN="123:abc", SARRAF_TELEGRAM_SECRET_TOKEN="no spaces!"),
              "telegram secret_token", "SARRAF_TELEGRAM_SECRET_TOKEN")


def test_data_folder_that_cannot_be_made(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    _one_line(serve(a_file / "home"), "data folder", "SARRAF_HOME")


@pytest.mark.slow
def test_banner_names_both_ports_when_they_differ(tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SARRAF_")}
    environment.update({"SARRAF_HOME": str(tmp_path), "SARRAF_PUBLIC_URL": "https://chat.bank.example"})
    server = subprocess.Popen([sys.executable, "-m", "sarraf", "serve", "--port", str(port)], env=environment,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 120
        first = server.stdout.readline()
        second = server.stdout.readline()
        assert time.monotonic() < deadline
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert first.startswith("Sarraf on https://chat.bank.example"), first
    assert f"listening on http://127.0.0.1:{port}" in second and "port 443" in second, second
