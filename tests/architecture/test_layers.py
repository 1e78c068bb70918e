"""The house rules, enforced: what may import what, and one door for bank data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "sarraf"
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "httpx", "uvicorn", "asyncpg", "aiosqlite", "alembic")
DATA_METHODS = {"accounts", "balances", "transactions"}


def _modules(folder: str) -> list[Path]:
    return sorted((SRC / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("folder", ["domain", "policy"])
def test_domain_and_policy_import_no_framework_driver_or_channel(folder: str) -> None:
    for path in _modules(folder):
        for name in _imports(path):
            assert not name.startswith(FRAMEWORKS), f"{path.relative_to(SRC)} imports {name}"
            assert not name.startswith("sarraf.channels"), f"{path.relative_to(SRC)} imports {name}"
            assert not name.startswith(("sarraf.store", "sarraf.web", "sarraf.banks")), f"{path} imports {name}"


def test_domain_imports_nothing_of_ours_and_i18n_only_the_domain() -> None:
    # the domain is the bottom layer; the languages registry is pure data, and the reply catalogues beside it
    # format the domain's money and names (so i18n may read the domain, never the reverse)
    for path in _modules("domain"):
        for name in _imports(path):
            if name.startswith("sarraf"):
                assert name.startswith("sarraf.domain"), f"{path} imports {name}"
    for path in _modules("i18n"):
        for name in _imports(path):
            if name.startswith("sarraf"):
                assert name.startswith(("sarraf.domain", "sarraf.i18n")), f"{path} imports {name}"
    assert not [n for n in _imports(SRC / "i18n" / "languages.py") if n.startswith("sarraf")]


def test_conversation_and_channels_never_touch_a_bank_connector() -> None:
    for folder in ("conversation", "channels"):
        for path in _modules(folder):
            for name in _imports(path):
                assert not name.startswith("sarraf.banks"), f"{path.relative_to(SRC)} imports {name}"


def test_only_the_web_layer_and_cli_know_the_sandbox_bank() -> None:
    allowed = {"web/app.py", "cli/terminal.py", "cli/sandbox.py"}
    for path in SRC.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        if rel.startswith("sandbox_bank/") or rel in allowed:
            continue
        for name in _imports(path):
            assert not name.startswith("sarraf.sandbox_bank"), f"{rel} imports {name}"


def test_sandbox_bank_imports_nothing_of_the_gateway() -> None:
    for path in _modules("sandbox_bank"):
        for name in _imports(path):
            if name.startswith("sarraf"):
                assert name.startswith("sarraf.sandbox_bank"), f"{path.relative_to(SRC)} imports {name}"


def test_bank_data_is_read_only_through_the_policy_point() -> None:
    """No module but the policy point (and the connector itself) calls a connector's data methods."""
    callers: set[str] = set()
    for path in SRC.rglob("*.py"):
        rel = str(path.relative_to(SRC))
        if rel.startswith(("banks/", "sandbox_bank/")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in DATA_METHODS
                and isinstance(node.func.value, ast.Name)
                and "connector" in node.func.value.id
            ):
                callers.add(rel)
    assert callers == {"policy/point.py"}


def test_files_stay_small() -> None:
    for path in SRC.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= 450, f"{path.relative_to(SRC)} has {lines} lines"
