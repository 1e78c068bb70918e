# Shared by scripts/serve and scripts/test: make the venv from the lock files, once, then reuse it.
# SARRAF_VENV names a venv to use instead of .venv (CI runs a standalone clone's tests in the venv it made);
# it is reinstalled only when the lock or pyproject.toml differ in content from what it was made from.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV="${SARRAF_VENV:-$ROOT/.venv}"
LOCK="$ROOT/$1"
STAMP="$VENV/.installed-$(basename "$LOCK")"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if ! cmp -s "$LOCK" "$STAMP" || ! cmp -s "$ROOT/pyproject.toml" "$STAMP.pyproject"; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$LOCK"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
  cp "$LOCK" "$STAMP"
  cp "$ROOT/pyproject.toml" "$STAMP.pyproject"
fi
