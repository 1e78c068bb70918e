"""Cold start of two source trees compared run by run: `say` next turn and `serve` to the first web chat reply.

Usage: python bench/cold_start_ab.py --base-src DIR [--runs 6]
e.g.   git archive main src | tar -x -C /tmp/base && python bench/cold_start_ab.py --base-src /tmp/base/src

On a machine shared with other work (a CI run, other builds), load moves cold_start.py's wall seconds by more
than a start-up change does, even against its references. Here the two trees' runs alternate (base, branch;
then branch, base), so both see the same load; the reference is the base tree itself. Measures as in
cold_start.py; CPU seconds are the process's own (user + system).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import cold_start

BRANCH_SRC = str(Path(__file__).resolve().parents[1] / "src")
SAY = [sys.executable, "-m", "sarraf", "say", "--as", "sandbox-pl-1", "ile mam na koncie?"]


def say_next(src: str, home: str, cache: str) -> tuple[float, float]:
    env = {**cold_start._env(home), "PYTHONPATH": src, "SARRAF_CACHE_DIR": cache}
    started, cpu = time.perf_counter(), cold_start._children_cpu()
    subprocess.run(SAY, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - started, cold_start._children_cpu() - cpu


def serve_reply(src: str, cache: str) -> tuple[float, float]:
    os.environ["PYTHONPATH"] = src  # serve_first_reply's process inherits both
    os.environ["SARRAF_CACHE_DIR"] = cache
    cold_start.CPU.clear()
    _, reply = cold_start.serve_first_reply()
    return reply, cold_start.CPU.get(cold_start.REPLY, [float("nan")])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-src", required=True, help="the `src` folder of the tree to compare against")
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    trees = {"base": str(Path(args.base_src).resolve()), "branch": BRANCH_SRC}
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    # Each tree keeps its own user cache: the unpacked model is kept for one model at a time, so two trees with
    # different models sharing one would unpack it again on every run and measure that, not the change.
    with ExitStack() as stack:
        homes = {name: stack.enter_context(tempfile.TemporaryDirectory()) for name in trees}
        caches = {name: stack.enter_context(tempfile.TemporaryDirectory()) for name in trees}
        for name, src in trees.items():
            # the first turn links the customer (and unpacks the model): every later one is a next turn
            say_next(src, homes[name], caches[name])
        for run in range(args.runs):
            for name in (list(trees) if run % 2 == 0 else list(reversed(trees))):
                found.setdefault((name, "say: next turn"), []).append(
                    say_next(trees[name], homes[name], caches[name]))
                found.setdefault((name, "serve: first web chat reply"), []).append(
                    serve_reply(trees[name], caches[name]))
    title = f"measure (median of {args.runs} alternating runs)"
    print(f"{title:<44} {'tree':>7} {'seconds':>8} {'CPU s':>6}")
    medians: dict[tuple[str, str], tuple[float, float]] = {}
    for (name, measure), samples in sorted(found.items(), key=lambda item: (item[0][1], item[0][0])):
        medians[name, measure] = (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))
        print(f"{measure:<44} {name:>7} {medians[name, measure][0]:>8.2f} {medians[name, measure][1]:>6.2f}")
    say, serve = "say: next turn", "serve: first web chat reply"
    print(f"RESULT base_say_next_s={medians['base', say][0]:.2f} branch_say_next_s={medians['branch', say][0]:.2f} "
          f"base_serve_first_reply_s={medians['base', serve][0]:.2f} "
          f"branch_serve_first_reply_s={medians['branch', serve][0]:.2f} "
          f"say_next_ratio={medians['branch', say][0] / medians['base', say][0]:.2f} "
          f"serve_first_reply_ratio={medians['branch', serve][0] / medians['base', serve][0]:.2f}")


if __name__ == "__main__":
    main()
