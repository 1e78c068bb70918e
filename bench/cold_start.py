"""Cold start of the `sarraf` command: --help, --version, one `say` turn, and `serve` to its first answer.

Usage: python bench/cold_start.py [--runs 3]

Each measure starts a new Python process, as a person typing the command does. References in the same run:
`python -c pass` (the interpreter alone) and `python -c "import fastapi"` (one web framework imported).
- `say: first turn` uses a new data folder: migrations, key creation and the sandbox login are included.
- `say: next turn` runs again on that folder: the schema is current and the customer already linked, which
  is what every turn after the first costs.
- `serve`: a new data folder, time until /healthz answers and until the first web chat reply.
The RESULT line gives medians in seconds and the ratio of a `say` turn to `import fastapi`. The CPU columns
give each process's CPU seconds (user + system; `serve`: until its first reply): on a machine shared with
other work they move far less between runs than wall seconds do.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from sarraf.web.threaded_server import free_port

FASTAPI = "reference: python -c 'import fastapi'"
SAY_FIRST, SAY_NEXT = "say: first turn (new folder, links customer)", "say: next turn (same folder)"
REPLY = "serve: first web chat reply"


def _env(home: str) -> dict[str, str]:
    env = {**os.environ, "SARRAF_HOME": home}
    env.pop("SARRAF_DATABASE_URL", None)
    return env


CPU: dict[str, list[float]] = {}  # measure → CPU seconds (user + system) of each run's process


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _process_cpu(pid: int) -> float | None:
    """CPU seconds a running process has used so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(argv: list[str], env: dict[str, str] | None = None, *, cpu: str | None = None) -> float:
    """Wall seconds of one run; with `cpu`, its CPU seconds are kept under that name too (on a machine
    shared with other work, CPU time moves far less than wall time between runs)."""
    started, cpu_before = time.perf_counter(), _children_cpu()
    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=300)
    if cpu is not None:
        CPU.setdefault(cpu, []).append(_children_cpu() - cpu_before)
    return time.perf_counter() - started


def sarraf(*args: str) -> list[str]:
    return [sys.executable, "-m", "sarraf", *args]


def serve_first_reply() -> tuple[float, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        proc = subprocess.Popen(sarraf("serve", "--port", str(port)), env=_env(home),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.02)
                if time.perf_counter() - started > 300:
                    raise RuntimeError("server did not start")
            ready = time.perf_counter() - started
            body = {"session": secrets.token_urlsafe(18), "text": "what's my balance?"}
            reply = httpx.post(f"{url}/webchat/api/messages", json=body, timeout=60)
            reply.raise_for_status()
            answered = time.perf_counter() - started
            if (used := _process_cpu(proc.pid)) is not None:
                CPU.setdefault(REPLY, []).append(used)
            return ready, answered
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def say_turns() -> tuple[float, float]:
    """(first turn on a new folder, the next turn on the same folder)."""
    with tempfile.TemporaryDirectory() as home:
        argv = sarraf("say", "--as", "sandbox-pl-1", "ile mam na koncie?")
        first = timed(argv, _env(home), cpu=SAY_FIRST)
        return first, timed(argv, _env(home), cpu=SAY_NEXT)


def version_or_none() -> float | None:
    """None when this checkout has no `--version` (kept so older revisions can be measured alike)."""
    try:
        return timed(sarraf("--version"))
    except subprocess.CalledProcessError:
        return None


def median(samples: list[float | None]) -> float | None:
    found = [s for s in samples if s is not None]
    return statistics.median(found) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    def repeat(measure: Callable[[], float | None]) -> list[float | None]:
        return [measure() for _ in range(args.runs)]

    rows: dict[str, float | None] = {}
    rows["reference: python -c pass"] = median(repeat(lambda: timed([sys.executable, "-c", "pass"])))
    rows[FASTAPI] = median(
        repeat(lambda: timed([sys.executable, "-c", "import fastapi"], cpu=FASTAPI)))
    rows["sarraf --help"] = median(repeat(lambda: timed(sarraf("--help"))))
    rows["sarraf --version"] = median(repeat(version_or_none))
    first, following = zip(*(say_turns() for _ in range(args.runs)), strict=True)
    rows[SAY_FIRST] = median(list(first))
    rows[SAY_NEXT] = median(list(following))
    ready, reply = zip(*(serve_first_reply() for _ in range(args.runs)), strict=True)
    rows["serve: /healthz answers"] = median(list(ready))
    rows[REPLY] = median(list(reply))

    fastapi = rows[FASTAPI] or 1.0
    cpu = {name: statistics.median(found) for name, found in CPU.items()}
    print(f"{'measure (median of ' + str(args.runs) + ' runs, ' + Path(sys.executable).name + ')':<50}"
          f" {'seconds':>8} {'x import fastapi':>17} {'CPU s':>6} {'CPU x fastapi':>14}")
    for name, seconds in rows.items():
        shown = "n/a" if seconds is None else f"{seconds:.2f}"
        ratio = "" if seconds is None else f"{seconds / fastapi:.1f}"
        used = f"{cpu[name]:.2f}" if name in cpu else ""
        used_ratio = f"{cpu[name] / cpu[FASTAPI]:.1f}" if name in cpu and cpu.get(FASTAPI) else ""
        print(f"{name:<50} {shown:>8} {ratio:>17} {used:>6} {used_ratio:>14}")

    def fmt(key: str) -> str:
        value = rows[key]
        return "na" if value is None else f"{value:.2f}"

    say_ratio = (rows["say: next turn (same folder)"] or 0.0) / fastapi
    print(f"RESULT python_pass_s={fmt('reference: python -c pass')} "
          f"import_fastapi_s={fmt(FASTAPI)} "
          f"help_s={fmt('sarraf --help')} version_s={fmt('sarraf --version')} "
          f"say_first_s={fmt('say: first turn (new folder, links customer)')} "
          f"say_next_s={fmt('say: next turn (same folder)')} "
          f"serve_ready_s={fmt('serve: /healthz answers')} serve_first_reply_s={fmt('serve: first web chat reply')} "
          f"say_next_vs_fastapi={say_ratio:.1f} "
          f"cpu_fastapi_s={cpu.get(FASTAPI, 0.0):.2f} cpu_say_next_s={cpu.get(SAY_NEXT, 0.0):.2f} "
          f"cpu_serve_first_reply_s={cpu.get(REPLY, 0.0):.2f}")


if __name__ == "__main__":
    main()
