"""`sarraf policy`: ask a bank's agreement a question, or lint an agreement file, from the shell."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Data-use agreements: check a disclosure against a bank's agreement, lint a file.",
                  no_args_is_help=True)

CLI_CUSTOMER = "cli"  # the made-up customer a `check` asks for; the grant is built for them


@app.command()
def check(
    bank: Annotated[str, typer.Option(help="Bank id from the banks file.")],
    purpose: Annotated[str, typer.Option(help="Fides data use, e.g. essential.service.operations.support.")],
    category: Annotated[list[str], typer.Option(help="Fides data category; repeat for several.")],
    recipient: Annotated[str, typer.Option(help="Who will see the data: webchat, messenger, telegram, ...")],
    scopes: Annotated[str | None, typer.Option(
        help="Customer's consent scopes, comma-separated (balances,transactions,alerts,offers,payees). Default: all.",
    )] = None,
) -> None:
    """Print one JSON object: decision, minimisation, policy_id and reason. Exit 2 when a purpose, category or
    recipient is not in the vocabulary (the message lists the valid ones)."""
    from sarraf.config import ConfigError, load_banks, load_settings
    from sarraf.domain.disclosure import DisclosureRequest
    from sarraf.policy import vocabulary
    from sarraf.policy.agreement import AgreementError, load_agreement
    from sarraf.policy.consent_grant import ALL_SCOPES, ConsentGrant, parse_scopes
    from sarraf.policy.decisions import CedarDecider

    _known("--purpose", [purpose], vocabulary.PURPOSES)
    _known("--category", category, vocabulary.CATEGORIES)
    _known("--recipient", [recipient], vocabulary.RECIPIENTS)
    try:
        granted = ALL_SCOPES if scopes is None else parse_scopes(scopes)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scopes") from exc
    try:
        banks = load_banks(load_settings().banks_file)
        if bank not in banks:
            raise ConfigError(f"unknown bank {bank!r}; known: {', '.join(banks)}")
        agreement = load_agreement(banks[bank].agreement)
    except (ConfigError, AgreementError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    request = DisclosureRequest(bank, CLI_CUSTOMER, purpose, tuple(category), recipient)
    decision = CedarDecider(agreement).decide(request, ConsentGrant(bank, CLI_CUSTOMER, granted))
    typer.echo(json.dumps({
        "decision": decision.outcome.value,
        "minimisation": decision.minimisation.value if decision.minimisation else None,
        "policy_id": decision.policy_id,
        "reason": decision.reason,
        "bank": bank,
        "purpose": purpose,
        "categories": list(category),
        "recipient": recipient,
        "scopes": sorted(granted),
    }, ensure_ascii=False))


def _known(option: str, given: Iterable[str], vocabulary: Mapping[str, str]) -> None:
    """An unknown word would only ever be denied: say so, and what the vocabulary knows, instead."""
    unknown = [word for word in given if word not in vocabulary]
    if unknown:
        valid = "\n".join(f"  {key}" for key in sorted(vocabulary))
        raise typer.BadParameter(f"{', '.join(map(repr, unknown))} is not in the vocabulary; valid:\n{valid}",
                                 param_hint=option)


@app.command()
def lint(file: Annotated[Path, typer.Argument(help="A Cedar agreement file.")]) -> None:
    """Print OK, or each problem as FILE:LINE: reason and exit 1."""
    from sarraf.policy.agreement import AgreementError, load_agreement

    try:
        load_agreement(file)
    except AgreementError as exc:
        typer.echo(str(exc))
        raise typer.Exit(1) from exc
    typer.echo("OK")
