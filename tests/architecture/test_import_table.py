"""The whole import table of docs/architecture.md, enforced: each package imports only the packages its row
names, and no two packages import each other (adapters import the ports they implement, never the reverse)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "sarraf"
EVERYTHING = "*"
# package (or top-level module) -> the packages of ours it may import; keep in step with docs/architecture.md
ALLOWED: dict[str, set[str] | str] = {
    "domain": set(),
    # the languages registry and the reply catalogues (which format the domain's money and names)
    "i18n": {"domain"},
    "policy": {"domain", "i18n"},
    "kb": {"domain", "config", "i18n"},
    "config": {"domain", "kb", "i18n"},
    "conversation": {"domain", "policy", "kb", "i18n"},
    "channels": {"domain", "conversation", "config", "gcra", "observability", "json_body", "i18n"},
    "banks": {"domain", "policy", "observability", "i18n"},
    "alerts": {"domain", "policy", "conversation", "gcra", "i18n"},
    "console": {"domain", "policy", "conversation", "i18n"},
    # adapters to the database: they implement the ports that alerts, channels and console declare
    "store": {"domain", "policy", "config", "alerts", "channels", "console", "conversation", "i18n"},
    "sandbox_bank": set(),  # a bank of its own: reached over HTTP only
    "gcra": set(),
    "heap": set(),
    "json_body": set(),  # the bounded JSON parse every hand-read body goes through
    "http_client": {"http_transport"},  # the outbound HTTP client the root builds (banks and platforms share it)
    "http_transport": set(),  # httpx's API over aiohttp's pool
    "observability": set(),
    "log_repeats": {"policy"},
    # the composition root and the entry points see everything (only web/ and cli/ may start the sandbox bank)
    "bootstrap": EVERYTHING,
    "bootstrap_alerts": EVERYTHING,
    "alert_loops": EVERYTHING,  # starts the alert loops from what bootstrap.build made
    "bootstrap_service": EVERYTHING,
    "bootstrap_payments": EVERYTHING,
    "channel_wiring": EVERYTHING,
    "housekeeping": EVERYTHING,
    "startup": EVERYTHING,  # the checks `sarraf serve` runs before it listens
    "web": EVERYTHING,
    "cli": EVERYTHING,
    "__main__": EVERYTHING,
    "__init__": set(),
}


def _package_imports() -> dict[str, dict[str, str]]:
    """package -> {imported package: one file that does it}."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        me = rel.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                parts = name.split(".")
                if parts[0] == "sarraf" and len(parts) > 1 and parts[1] != me:
                    found[me].setdefault(parts[1], str(rel))
    return found


def test_every_package_has_a_row() -> None:
    packages = {p.name.removesuffix(".py") for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert packages <= set(ALLOWED), f"add a row to ALLOWED and docs/architecture.md for {packages - set(ALLOWED)}"


def test_each_package_imports_only_what_its_row_allows() -> None:
    wrong = []
    for package, imported in _package_imports().items():
        allowed = ALLOWED.get(package, set())
        if allowed == EVERYTHING:
            continue
        wrong += [f"{where}: {package} imports {other}" for other, where in imported.items() if other not in allowed]
    assert not wrong, "\n".join(sorted(wrong))


def test_no_two_packages_import_each_other() -> None:
    imports = _package_imports()
    cycles = sorted({tuple(sorted((a, b))) for a, deps in imports.items() for b in deps if a in imports.get(b, {})})
    assert not cycles, f"package cycles: {cycles}"
