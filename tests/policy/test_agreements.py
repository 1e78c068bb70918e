"""Agreements load only when well-formed, and a malformed one is refused with its line and reason."""

from __future__ import annotations

from pathlib import Path

import cedarpy
import pytest
from typer.testing import CliRunner

from sarraf.cli.policy import app
from sarraf.config import DEFAULT_BANKS_FILE, load_banks
from sarraf.policy.agreement import (
    AGREEMENTS_DIR,
    DEFAULT_AGREEMENT,
    AgreementError,
    lint,
    load_agreement,
    parse_agreement,
    schema,
    vocabulary_entities,
)
from sarraf.policy.vocabulary import CATEGORIES, PURPOSES, RECIPIENT_GROUPS, RECIPIENTS

GOOD = '@id("a")\npermit (principal, action, resource);\n'


def test_default_agreement_is_what_the_sandbox_bank_uses_and_it_loads() -> None:
    assert load_banks(DEFAULT_BANKS_FILE)["sandbox"].agreement.resolve() == DEFAULT_AGREEMENT.resolve()
    agreement = load_agreement(DEFAULT_AGREEMENT)
    assert agreement.policy_ids == (
        "permit-payments", "permit-notifications", "permit-customer-service", "permit-fraud-detection",
        "permit-direct-marketing-offers", "forbid-marketing", "forbid-third-party-sharing", "forbid-ai-training",
        "minimise-third-party-platforms", "link-only-messenger", "link-only-whatsapp",
    )
    assert agreement.policy_id("policy5") == "forbid-marketing"


def test_every_agreement_shipped_lints_clean_and_is_documented() -> None:
    readme = (AGREEMENTS_DIR / "README.md").read_text(encoding="utf-8")
    for path in AGREEMENTS_DIR.glob("*.cedar"):
        agreement = load_agreement(path)
        assert path.name in readme
        for policy_id in agreement.policy_ids:
            assert policy_id in readme, f"{policy_id} is not explained in README.md"


def test_the_schema_shown_in_the_readme_is_the_schema_in_force() -> None:
    readme = (AGREEMENTS_DIR / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```\n", 2)[1].split("```", 1)[0]
    assert str(cedarpy.Schema.from_str(shown)) == str(schema())


def test_vocabulary_becomes_the_cedar_entity_store() -> None:
    actions = 4  # validating against the schema adds disclose and its three levels as entities
    vocabulary_size = len(PURPOSES) + len(CATEGORIES) + len(RECIPIENTS) + len(RECIPIENT_GROUPS)
    assert len(vocabulary_entities()) == vocabulary_size + actions


@pytest.mark.parametrize(("source", "line", "fragment"), [
    ('@id("a")\npermit (\n  principal,\n  action == ,\n  resource\n);\n', 4, "unexpected token"),
    ('@id("a")\npermit (\n  princ,\n  action,\n  resource\n);\n', 3, "princ"),
    (GOOD + '@id("b")\npermit (principal, action, resource)\n', 4, "unexpected end of input"),
    ('// a comment; with a semicolon\n' + GOOD + '\npermit (principal, action, resource);\n', 5, "@id"),
    (GOOD + GOOD, 3, "already used on line 1"),
    ('@id("a")\nforbid (principal, action, resource)\nwhen { context.nope == 1 };\n', 3, "nope"),
    ('@id("a")\npermit (principal, action == Action::"view", resource);\n', 2, "unrecognized action"),
    ('@id("a")\nforbid (principal, action, resource)\nwhen { context.purpose in Purpose::"markting" };\n', 3,
     'Purpose::"markting" is not in the vocabulary'),
    ('@id("a")\npermit (principal == ?principal, action, resource);\n', 1, "templates"),
])
def test_malformed_agreement_is_refused_with_line_and_reason(source: str, line: int, fragment: str) -> None:
    problems = lint(source)
    assert any(p.line == line and fragment in p.message for p in problems), problems
    with pytest.raises(AgreementError) as caught:
        parse_agreement(source, origin="bank.cedar")
    assert f"bank.cedar:{line}:" in str(caught.value)


def test_strings_and_comments_do_not_confuse_the_statement_split() -> None:
    source = ('// Purpose::"not-checked" lives in a comment;\n'
              '@id("semi;colon // not a comment")\n'
              'forbid (principal, action, resource)\n'
              'when { context.purpose in Purpose::"marketing" };\n')
    assert lint(source) == []
    assert parse_agreement(source).policy_ids == ("semi;colon // not a comment",)


def test_unreadable_file_is_an_agreement_error(tmp_path: Path) -> None:
    with pytest.raises(AgreementError, match="cannot read"):
        load_agreement(tmp_path / "missing.cedar")


def test_lint_command_prints_ok_or_the_problems_and_exits_non_zero(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["lint", str(DEFAULT_AGREEMENT)])
    assert (ok.exit_code, ok.output.strip()) == (0, "OK")

    broken = tmp_path / "broken.cedar"
    broken.write_text(GOOD + '\npermit (principal, action, resource);\n', encoding="utf-8")
    result = runner.invoke(app, ["lint", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:4: policy has no @id" in result.output
