"""NLU benchmark: accuracy per split and language, latency, size and load time of the shipped model,
side by side with a plain scikit-learn TF-IDF + LogisticRegression baseline trained in the same run.

    .venv/bin/python bench/nlu.py            # ~2-3 min on 2 cores (the baseline is trained here)
    .venv/bin/python bench/nlu.py --model /tmp/model.npz   # an artifact other than the shipped one

Single-threaded on purpose (BLAS threads pinned to 1): the gateway parses one message per request.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from sarraf.conversation.nlu.paths import ARTIFACT_PATH  # noqa: E402

OUT_OF_SCOPE = "out_of_scope"


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q))


def time_each(fn: Callable[[str], object], texts: list[str]) -> list[float]:
    for text in texts[:50]:
        fn(text)  # warm caches (lazy regexes, month tables)
    out = []
    for text in texts:
        t0 = time.perf_counter()
        fn(text)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="NLU accuracy, latency, size and load time")
    parser.add_argument("--model", type=Path, default=ARTIFACT_PATH, help="artifact to measure")
    model_path: Path = parser.parse_args().model
    console = Console()
    t0 = time.perf_counter()
    from sarraf.conversation.nlu import Nlu

    nlu = Nlu.from_file(model_path)
    nlu.parse("warm up since March")
    load_s = time.perf_counter() - t0

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    from sarraf.conversation.nlu.training.evaluate import evaluate_all, render_table, test_splits
    from sarraf.conversation.nlu.training.train import load_training_set

    splits = test_splits()
    console.print(render_table(evaluate_all(nlu, splits.items()), title="Sarraf NLU (shipped artifact)"))

    data = load_training_set()
    t1 = time.perf_counter()
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
    baseline = LogisticRegression(max_iter=300, C=20)
    baseline.fit(vectorizer.fit_transform(data.texts), data.labels)
    baseline_train_s = time.perf_counter() - t1

    def baseline_predict(text: str) -> str:
        return str(baseline.predict(vectorizer.transform([text]))[0])

    result: dict[str, str] = {}
    table = Table(title="Shipped model vs plain sklearn TF-IDF(word 1-2) + LogisticRegression")
    for col in ("split", "lang", "n", "sarraf acc", "sarraf F1", "baseline acc", "baseline F1"):
        table.add_column(col, justify="left" if col == "split" else "right")
    for name, examples in splits.items():
        for lang in sorted({e.lang for e in examples}):
            part = [e for e in examples if e.lang == lang]
            gold = [e.intent for e in part]
            ours = [nlu.parse(e.text) for e in part]
            base = list(baseline.predict(vectorizer.transform([e.text for e in part])))
            if all(g == OUT_OF_SCOPE for g in gold):
                fa_ours = sum(p.in_scope for p in ours) / len(part)
                fa_base = sum(b != OUT_OF_SCOPE for b in base) / len(part)
                table.add_row(name, lang, str(len(part)), f"FA {fa_ours:.1%}", "", f"FA {fa_base:.1%}", "")
                result[f"{_key(name)}_{lang}_fa"] = f"{fa_ours * 100:.1f}"
                continue
            labels = sorted(set(gold))
            pred = [p.intent for p in ours]
            acc_ours = np.mean([g == p for g, p in zip(gold, pred, strict=True)])
            acc_base = np.mean([g == b for g, b in zip(gold, base, strict=True)])
            result[f"{_key(name)}_{lang}"] = f"{acc_ours * 100:.1f}"
            result[f"{_key(name)}_{lang}_base"] = f"{acc_base * 100:.1f}"
            table.add_row(
                name,
                lang,
                str(len(part)),
                f"{acc_ours:.1%}",
                f"{f1_score(gold, pred, average='macro', labels=labels, zero_division=0):.1%}",
                f"{acc_base:.1%}",
                f"{f1_score(gold, base, average='macro', labels=labels, zero_division=0):.1%}",
            )
    console.print(table)

    texts = [e.text for ex in splits.values() for e in ex]
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.choice(len(texts), size=min(3000, len(texts)), replace=False)]
    perf = Table(title=f"Latency per utterance, single thread ({len(sample)} test utterances)")
    for col in ("what", "p50 ms", "p99 ms", "mean ms"):
        perf.add_column(col, justify="left" if col == "what" else "right")
    for label, fn in (
        ("sarraf parse (intent + lang + entities)", nlu.parse),
        ("sarraf intent only", nlu.classify),
        ("sarraf language id only", nlu.language),
        ("baseline sklearn predict", baseline_predict),
    ):
        samples = time_each(fn, sample)
        if fn is nlu.parse:
            result["parse_p50_ms"] = f"{percentile_ms(samples, 50):.3f}"
            result["parse_p99_ms"] = f"{percentile_ms(samples, 99):.3f}"
        if fn is baseline_predict:
            result["baseline_p99_ms"] = f"{percentile_ms(samples, 99):.3f}"
        perf.add_row(
            label,
            f"{percentile_ms(samples, 50):.3f}",
            f"{percentile_ms(samples, 99):.3f}",
            f"{statistics.fmean(samples) * 1000:.3f}",
        )
    console.print(perf)
    console.print(
        f"artifact {model_path}: {model_path.stat().st_size / 1e6:.1f} MB, "
        f"load + first parse {load_s:.2f} s (no scikit-learn import); baseline trained in {baseline_train_s:.0f} s"
    )
    thresholds = ", ".join(f"{lang} {nlu.threshold_for(lang):.2f}" for lang in ("ar", "pl", "en"))
    console.print(f"out-of-scope thresholds (calibrated out-of-fold): overall {nlu.threshold:.2f}; {thresholds}")
    result["load_s"] = f"{load_s:.2f}"
    result["size_mb"] = f"{model_path.stat().st_size / 1e6:.1f}"
    console.print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()), soft_wrap=True)


def _key(split: str) -> str:
    return "_".join(split.replace("arbanking77 ", "").replace(" test", "").split())


if __name__ == "__main__":
    main()
