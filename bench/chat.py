"""Chat turns per second: linked customers (en/pl/ar) asking their balance, recent transactions, spending by
category, and small talk, through the signed Messenger webhook and the web chat API.

Every party is a process of its own on 127.0.0.1 (tests/support/chat_load.py): the sandbox bank, the gateway
(`python -m sarraf serve [--workers N]`), a fake platform recording every Send API call, an empty FastAPI
handler (the ceiling), and the load generator: `--concurrency` customers at a time, one message in flight per
customer, 3 % of messages re-delivered with the same id (as Meta re-delivers; must not be answered again).
The generator first POSTs the same number of webhook-shaped bodies to the empty handler with the same client
and concurrency: the HTTP ceiling of this machine in this run; `ratio` is turns/s over that.

A turn's latency is from the POST to its 200 (the webhook answers after its Send API calls; the web chat with
its replies). lost / dup are counted from what the fake platform received (and the web chat's answers): a
message with no answer while in flight is lost, a re-delivery answered or a Send API call outside every
message's time in flight is a duplicate. CPU µs per turn: user + system time of each process (the gateway's
with its workers) over the measured load, divided by the turns.

    .venv/bin/python bench/chat.py                         # SQLite, 1 worker, 300 customers, 600 turns
    .venv/bin/python bench/chat.py --workers 1 2           # 1 vs 2 gateway worker processes, same run
    .venv/bin/python bench/chat.py --backend postgresql    # 127.0.0.1:5432, trust auth
    .venv/bin/python bench/chat.py --runs 3                # RESULT: the median run by turns/s
    .venv/bin/python bench/chat.py --profile /tmp/gw.txt --py-spy /tmp/spy/bin/py-spy   # where the time goes
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.support import chat_load as load  # noqa: E402
from tests.support.postgres import temporary_database  # noqa: E402
from tests.support.skeleton_turn import start_skeleton  # noqa: E402


def one_run(args: argparse.Namespace, workers: int, run: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="sarraf-bench-chat-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        url = (stack.enter_context(temporary_database("sarraf_bench_chat")) if args.backend == "postgresql"
               else f"sqlite+aiosqlite:///{root / 'sarraf.db'}")
        procs = []
        try:
            bank = load.start_bank(root)
            procs.append(bank)
            platform = load.start_helper("platform", root)
            procs.append(platform)
            empty = load.start_helper("empty", root)
            procs.append(empty)
            port = load.free_port()
            shared = load.gateway_env(root, url, bank.url, platform.url, f"http://127.0.0.1:{port}",
                                      args.nats or None)
            began = time.monotonic()
            gateway = load.start_gateway("gateway", shared, root, port=port, workers=workers)
            procs.append(gateway)
            start_s = time.monotonic() - began
            customers = load.make_customers(args.customers, seed=run)
            asyncio.run(load.link_all(gateway.url, platform.url, customers))
            offset = len(asyncio.run(load.platform_calls(platform.url)))
            plan = load.make_plan(customers, args.turns, f"r{run}w{workers}", seed=run)
            ceiling = load.run_load_process([empty.url], customers, plan, args.concurrency, root, empty=True)
            ceiling_rate = len(ceiling.sent) / ceiling.wall_s
            skeleton = (skeleton_run(args, root, customers, plan, empty, platform, offset, ceiling_rate)
                        if args.skeleton else None)
            offset = len(asyncio.run(load.platform_calls(platform.url)))
            cpu_before = {p.name: load.cpu_seconds(p.popen.pid) for p in procs}
            spy = None
            if args.profile:  # py-spy on the gateway (and its workers) while the load runs: collapsed stacks
                spy = subprocess.Popen([args.py_spy, "record", "--format", "raw", "--rate", "200", "--subprocesses",
                                        "--pid", str(gateway.popen.pid), "--output", args.profile, "--nonblocking"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)
            result = load.run_load_process([gateway.url], customers, plan, args.concurrency, root)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            cpu = {p.name: load.cpu_seconds(p.popen.pid) - cpu_before[p.name] for p in procs}
            calls = asyncio.run(load.platform_calls(platform.url, offset))
        finally:
            for proc in reversed(procs):
                proc.stop()
    counted = load.tally(customers, result, calls)
    rate = counted.turns / result.wall_s
    per_turn = {name: cpu[name] / counted.turns * 1e6 for name in ("gateway", "sandbox bank", "platform")}
    per_turn["load generator"] = result.cpu_s / len(result.sent) * 1e6
    print(f"{'workers':>7}{'backend':>11}{'turns':>7}{'turns/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'ceiling/s':>10}"
          f"{'ratio':>7}{'lost':>6}{'dup':>5}{'non-200':>8}{'start s':>8}")
    print(f"{workers:>7}{args.backend:>11}{counted.turns:>7}{rate:>9.1f}{counted.p50:>8.1f}"
          f"{counted.percentile(0.99):>8.1f}{ceiling_rate:>10.0f}{rate / ceiling_rate:>7.3f}{counted.lost:>6}"
          f"{counted.dup:>5}{counted.failed:>8}{start_s:>8.2f}")
    print("CPU µs/turn: " + ", ".join(f"{name} {us:.0f}" for name, us in per_turn.items())
          + f"; load average before {args.load_before:.2f}")
    row = {"workers": workers, "turns_per_s": rate, "p50_ms": counted.p50, "p99_ms": counted.percentile(0.99),
           "ceiling": ceiling_rate, "ratio": rate / ceiling_rate, "lost": counted.lost, "dup": counted.dup,
           "gateway_us": per_turn["gateway"]}
    if skeleton is not None:
        print(f"skeleton turn (no Sarraf logic): {skeleton['turns_per_s']:.1f} turns/s,"
              f" p50 {skeleton['p50_ms']:.1f} ms, p99 {skeleton['p99_ms']:.1f} ms,"
              f" ratio {skeleton['ratio']:.3f}, skeleton {skeleton['us']:.0f} µs/turn,"
              f" stand-in bank {skeleton['bank_us']:.0f}, platform {skeleton['platform_us']:.0f};"
              f" lost {skeleton['lost']:.0f}, dup {skeleton['dup']:.0f}")
        row.update({f"skeleton_{k}": v for k, v in skeleton.items()})
    return row


def skeleton_run(args: argparse.Namespace, root: Path, customers: list[load.Customer], plan: list[load.Message],
                 empty: load.Proc, platform: load.Proc, offset: int, ceiling_rate: float) -> dict[str, float]:
    """The same plan through tests/support/skeleton_turn.py: the wire work of a turn with no Sarraf logic (one
    stand-in bank request to the empty handler, one Send API call), the floor under the gateway's figures."""
    skeleton = start_skeleton(root, empty.url, platform.url)
    try:
        procs = (skeleton, empty, platform)
        before = {p.name: load.cpu_seconds(p.popen.pid) for p in procs}
        result = load.run_load_process([skeleton.url], customers, plan, args.concurrency, root)
        cpu = {p.name: load.cpu_seconds(p.popen.pid) - before[p.name] for p in procs}
        calls = asyncio.run(load.platform_calls(platform.url, offset))
    finally:
        skeleton.stop()
    counted = load.tally(customers, result, calls)
    rate = counted.turns / result.wall_s
    per_turn = {name: cpu[name] / counted.turns * 1e6 for name in cpu}
    return {"turns_per_s": rate, "ratio": rate / ceiling_rate, "p50_ms": counted.p50,
            "p99_ms": counted.percentile(0.99), "us": per_turn["skeleton"], "bank_us": per_turn["empty"],
            "platform_us": per_turn["platform"], "lost": counted.lost, "dup": counted.dup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--turns", type=int, default=600, help="first deliveries (re-deliveries come on top)")
    parser.add_argument("--concurrency", type=int, default=64, help="customers with a message in flight")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, nargs="+", default=[1], help="gateway worker processes (each)")
    parser.add_argument("--nats", default="", help="NATS URL shared by the workers (e.g. nats://127.0.0.1:4222)")
    parser.add_argument("--runs", type=int, default=1, help="whole runs per worker count; RESULT: the median")
    parser.add_argument("--no-skeleton", dest="skeleton", action="store_false",
                        help="skip the skeleton turn (the same plan through a relay with no Sarraf logic)")
    parser.add_argument("--profile", default="", help="write py-spy's collapsed stacks of the gateway here")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable (pip install py-spy)")
    args = parser.parse_args()
    args.load_before = os.getloadavg()[0]
    rows = [one_run(args, workers, run) for workers in args.workers for run in range(1, args.runs + 1)]
    if len(rows) > 1:
        print(f"{'workers':>7}{'turns/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'ceiling/s':>10}{'ratio':>7}{'gw µs/turn':>11}")
        for r in rows:
            print(f"{r['workers']:>7.0f}{r['turns_per_s']:>9.1f}{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}"
                  f"{r['ceiling']:>10.0f}{r['ratio']:>7.3f}{r['gateway_us']:>11.0f}")
    for workers in args.workers:
        mine = sorted((r for r in rows if r["workers"] == workers), key=lambda r: r["turns_per_s"])
        if len(args.workers) > 1:
            print(f"workers={workers}: turns_per_s={statistics.median(r['turns_per_s'] for r in mine):.1f}")
    last = [r for r in rows if r["workers"] == args.workers[-1]]
    median = sorted(last, key=lambda r: r["turns_per_s"])[len(last) // 2]
    lost, dup = sum(int(r["lost"]) for r in rows), sum(int(r["dup"]) for r in rows)
    skeleton = (f" skeleton_turns_per_s={median['skeleton_turns_per_s']:.1f} skeleton_p99_ms="
                f"{median['skeleton_p99_ms']:.1f} skeleton_ratio={median['skeleton_ratio']:.3f}"
                if args.skeleton else "")
    print(f"RESULT turns_per_s={median['turns_per_s']:.1f} p50_ms={median['p50_ms']:.1f} "
          f"p99_ms={median['p99_ms']:.1f} ceiling_req_per_s={median['ceiling']:.0f} ratio={median['ratio']:.3f} "
          f"lost={lost} dup={dup} workers={args.workers[-1]:d} runs={len(last)}{skeleton}")


if __name__ == "__main__":
    main()
