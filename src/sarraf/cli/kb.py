"""`sarraf kb`: check a bank's customer-service knowledge base (every intent × language, figures, links, length)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Knowledge base: the answers to the 77 service questions, per bank.", no_args_is_help=True)


@app.command()
def lint(
    bank: Annotated[str | None, typer.Option(help="Bank id from the banks file (default: every bank).")] = None,
) -> None:
    """List what is missing or wrong: an intent or language without an answer, a {figure} without a value in
    service.values, a link that is not https, an answer too long for a channel. Exit 1 when anything is."""
    from sarraf.config import ConfigError, load_banks, load_settings
    from sarraf.kb import SERVICE_INTENTS, check
    from sarraf.kb.knowledge import LANGUAGES

    try:
        banks = load_banks(load_settings().banks_file)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if bank is not None and bank not in banks:
        typer.echo(f"unknown bank {bank!r}; the banks file has {', '.join(banks)}", err=True)
        raise typer.Exit(2)
    failed = False
    for config in [banks[bank]] if bank else banks.values():
        service = config.service
        kb, problems = check(config.id, service.answers, service.overrides, service.values)
        answered = sum(len(texts) for texts in kb.answers.values())
        expected = len(SERVICE_INTENTS) * len(LANGUAGES)
        where = f"{service.answers}" + (f" + overrides {service.overrides}" if service.overrides else "")
        typer.echo(f"{config.id}: {answered}/{expected} answers ({where}), "
                   f"{len(kb.overridden)} overridden, {len(problems)} problem(s)")
        for problem in problems:
            typer.echo(f"  {problem}")
        failed = failed or bool(problems)
    raise typer.Exit(1 if failed else 0)
