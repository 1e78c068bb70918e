from __future__ import annotations

import json

from typer.testing import CliRunner

from sarraf.cli.nlu import app


def test_predict_writes_one_json_object_per_line() -> None:
    lines = ["what's my balance", "przelej 50 zł do Ani w tym tygodniu", "", "حول خمسين دولار لأحمد"]
    result = CliRunner().invoke(app, ["predict"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in records] == [line for line in lines if line]
    for r in records:
        assert {"text", "intent", "confidence", "lang", "entities", "in_scope"} <= set(r)
        assert isinstance(r["confidence"], float)
    assert [r["lang"] for r in records] == ["en", "pl", "ar"]
    assert records[0]["intent"] == "check_balance"
    money = [e for e in records[1]["entities"] if e["kind"] == "money"]
    assert money == [
        {"kind": "money", "value": {"amount": "50", "currency": "PLN"}, "text": "50 zł", "start": 8, "end": 13}
    ]
    period = next(e for e in records[1]["entities"] if e["kind"] == "period")
    assert set(period["value"]) == {"start", "end"} and len(period["value"]["start"]) == 10


def test_cli_module_import_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, sarraf.cli.nlu; sys.exit(any(m in sys.modules for m in ('sklearn', 'numpy', 'dateparser')))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
