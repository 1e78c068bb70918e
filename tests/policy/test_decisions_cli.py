"""`sarraf policy check` answers with one JSON object from the bank's agreement in the banks file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarraf.cli.policy import app
from sarraf.config import DEFAULT_BANKS_FILE

BALANCE = "user.financial.bank_account.balance"
TRANSACTIONS = "user.financial.bank_account.transactions"
SUPPORT = "essential.service.operations.support"


@pytest.fixture(autouse=True)
def default_banks_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SARRAF_BANKS_FILE", str(DEFAULT_BANKS_FILE))


def check(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["check", "--bank", "sandbox", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_allowed_disclosure_reports_level_and_permit() -> None:
    answer = check("--purpose", SUPPORT, "--category", BALANCE, "--recipient", "telegram")
    assert answer["decision"] == "allow"
    assert answer["minimisation"] == "masked"
    assert answer["policy_id"] == "permit-customer-service"
    assert "minimise-third-party-platforms" in str(answer["reason"])
    assert answer["scopes"] == ["alerts", "balances", "offers", "payees", "transactions"]


def test_forbidden_purpose_is_denied_by_its_forbid() -> None:
    answer = check("--purpose", "marketing.advertising.third_party.targeted",
                   "--category", "user.behavior.purchase_history", "--recipient", "webchat")
    assert (answer["decision"], answer["minimisation"], answer["policy_id"]) == ("deny", None, "forbid-marketing")


def test_scopes_limit_what_is_covered_and_several_categories_are_accepted() -> None:
    answer = check("--purpose", SUPPORT, "--category", BALANCE, "--category", TRANSACTIONS,
                   "--recipient", "messenger", "--scopes", "balances")
    assert (answer["decision"], answer["policy_id"]) == ("deny", "consent")
    assert answer["categories"] == [BALANCE, TRANSACTIONS]
    both = check("--purpose", SUPPORT, "--category", BALANCE, "--category", TRANSACTIONS,
                 "--recipient", "messenger", "--scopes", "balances,transactions")
    assert (both["decision"], both["minimisation"]) == ("allow", "link_only")


def test_bad_input_exits_non_zero_with_a_message() -> None:
    runner = CliRunner()
    unknown_scope = runner.invoke(app, ["check", "--bank", "sandbox", "--purpose", SUPPORT, "--category",
                                        BALANCE, "--recipient", "webchat", "--scopes", "balances,nope"])
    assert unknown_scope.exit_code == 2
    assert "nope" in unknown_scope.output
    unknown_bank = runner.invoke(app, ["check", "--bank", "nobank", "--purpose", SUPPORT, "--category",
                                       BALANCE, "--recipient", "webchat"])
    assert unknown_bank.exit_code == 2
    assert "nobank" in unknown_bank.output


def test_the_agreement_comes_from_the_banks_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "strict.cedar").write_text(
        '@id("nothing-ever")\nforbid (principal, action, resource);\n', encoding="utf-8")
    (tmp_path / "banks.yaml").write_text(
        "banks:\n  - id: strict\n    client_id: x\n    client_secret: y\n    agreement: strict.cedar\n",
        encoding="utf-8")
    monkeypatch.setenv("SARRAF_BANKS_FILE", str(tmp_path / "banks.yaml"))
    result = CliRunner().invoke(app, ["check", "--bank", "strict", "--purpose", SUPPORT, "--category", BALANCE,
                                      "--recipient", "webchat"])
    assert json.loads(result.stdout)["policy_id"] == "nothing-ever"
