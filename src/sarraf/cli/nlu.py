"""`sarraf nlu`: train the shipped NLU model, predict from stdin, evaluate on the held-out sets.

Heavy imports (scikit-learn, the model itself) happen inside the commands so `sarraf --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sarraf.conversation.nlu.model import Nlu

ModelOption = Annotated[
    Path | None, typer.Option("--model", help="artifact to use instead of the shipped model.npz", dir_okay=False)
]
app = typer.Typer(help="Multilingual banking NLU (ar/pl/en): train, predict, evaluate.", no_args_is_help=True)


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _load(model: Path | None) -> Nlu:
    from sarraf.conversation.nlu import Nlu, load_default

    return load_default() if model is None else Nlu.from_file(model)


@app.command()
def predict(model: ModelOption = None) -> None:
    """Read one utterance per line on stdin; write one JSON object per line."""
    nlu = _load(model)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        p = nlu.parse(text)
        record = {
            "text": p.text,
            "intent": p.intent,
            "confidence": round(p.confidence, 4),
            "in_scope": p.in_scope,
            "lang": p.lang,
            "entities": [
                {"kind": e.kind, "value": _json_value(e.value), "text": e.text, "start": e.start, "end": e.end}
                for e in p.entities
            ],
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@app.command()
def train(
    output: Annotated[
        Path | None, typer.Option("--output", help="write here instead of the shipped model.npz", dir_okay=False)
    ] = None,
) -> None:
    """Rebuild the shipped artifact from the repo YAML and the public datasets in data/ (deterministic)."""
    from rich.progress import Progress

    from sarraf.conversation.nlu import artifact
    from sarraf.conversation.nlu.paths import ARTIFACT_PATH
    from sarraf.conversation.nlu.training.train import TRAIN_STEPS, train

    with Progress() as progress:
        task = progress.add_task("training NLU", total=TRAIN_STEPS)

        def step(name: str) -> None:
            progress.update(task, advance=1, description=name)

        arrays = train(step)
        target = output or ARTIFACT_PATH
        artifact.save(arrays, target)
        progress.update(task, completed=TRAIN_STEPS, description="saved")
    size = target.stat().st_size / 1e6
    typer.echo(f"wrote {target} ({size:.1f} MB, {len(arrays.classes)} intents, inputs {arrays.inputs_hash[:12]})")
    cuts = zip(arrays.lid_classes.tolist(), arrays.lang_thresholds.tolist(), strict=True)
    per_lang = ", ".join(f"{lang} {cut:.2f}" for lang, cut in cuts)
    typer.echo(f"out-of-scope thresholds: overall {arrays.threshold:.2f}; {per_lang}")


@app.command("eval")
def evaluate(model: ModelOption = None) -> None:
    """Accuracy and macro-F1 per split and language, and the out-of-scope false-accept rate."""
    from rich.console import Console

    from sarraf.conversation.nlu.training.evaluate import evaluate_all, render_table

    Console().print(render_table(evaluate_all(_load(model))))
