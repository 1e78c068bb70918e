"""Load a bank's data-use agreement (a Cedar policy set) and refuse a malformed one with line and reason.

An agreement is checked before it is ever used:

* it parses (cedarpy reports parse errors without positions, so we find the line ourselves, see _locate);
* every policy carries a unique ``@id("...")`` — decisions and the audit log name policies by it;
* it validates against our Cedar schema (agreements/sarraf.cedarschema.json);
* every Purpose, DataCategory, Recipient and RecipientGroup it names exists in policy/vocabulary.py — a typo
  such as ``Purpose::"markting"`` would otherwise parse, validate and silently forbid nothing.

The vocabulary is also handed to Cedar as the entity store (see vocabulary_entities): the dotted keys become
an entity hierarchy, so ``context.purpose in Purpose::"marketing"`` holds for every marketing sub-purpose.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import cedarpy

from sarraf.policy import vocabulary

AGREEMENTS_DIR = Path(__file__).with_name("agreements")
SCHEMA_PATH = AGREEMENTS_DIR / "sarraf.cedarschema.json"
DEFAULT_AGREEMENT = AGREEMENTS_DIR / "default.cedar"

_EOF_MESSAGE = "unexpected end of input"
_ENTITY_LITERAL = re.compile(r'\b(Purpose|DataCategory|Recipient|RecipientGroup)\s*::\s*"((?:[^"\\]|\\.)*)"')
_POLICY_NUMBER = re.compile(r"^policy(\d+)$")


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class AgreementError(ValueError):
    """An agreement that must not be used; ``problems`` says where and why."""

    def __init__(self, origin: str, problems: list[Problem]) -> None:
        super().__init__("\n".join(f"{origin}:{p.line}: {p.message}" for p in problems))
        self.origin = origin
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Agreement:
    """A checked agreement, parsed once. ``policy_ids[n]`` is the @id of Cedar's positional ``policy<n>``."""

    origin: str
    source: str
    policies: cedarpy.PolicySet
    policy_ids: tuple[str, ...]
    digest: str  # sha256 of the source: tells a reloaded file from the one already in use

    def policy_id(self, cedar_id: str) -> str:
        match = _POLICY_NUMBER.match(cedar_id)
        return self.policy_ids[int(match.group(1))] if match else cedar_id


@dataclass(frozen=True, slots=True)
class _Statement:
    text: str  # from the first significant character to the closing ';' (or end of file)
    line: int  # 1-based line of the first significant character


def load_agreement(path: Path | str) -> Agreement:
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgreementError(str(path), [Problem(1, f"cannot read the agreement: {exc}")]) from exc
    return parse_agreement(source, origin=str(path))


def parse_agreement(source: str, origin: str = "<agreement>") -> Agreement:
    problems = lint(source)
    if problems:
        raise AgreementError(origin, problems)
    return Agreement(
        origin=origin,
        source=source,
        policies=cedarpy.PolicySet.from_str(source),
        policy_ids=tuple(annotation.get("id", "") for annotation in _annotations(source)),
        digest=hashlib.sha256(source.encode()).hexdigest(),
    )


def lint(source: str) -> list[Problem]:
    """Every reason this source is not a usable agreement, by line; empty when it is fine."""
    return list(_lint(source))


@lru_cache(maxsize=32)
def _lint(source: str) -> tuple[Problem, ...]:
    """Kept per source text: the answer depends on the text and the shipped schema only, and a start-up asks
    it three times per bank (the preflight, the gateway's decider, the first housekeeping refresh), each a
    Cedar validation. Any edit to the file is another text, so it is linted again."""
    return tuple(_problems(source))


def _problems(source: str) -> list[Problem]:
    statements, code_only = _statements(source)
    problems = [p for s in statements if (p := _parse_problem(s)) is not None]
    if problems:
        return problems  # the later checks need a policy set that parses
    annotations = _annotations(source)
    if len(annotations) != len(statements):
        return [Problem(1, "templates (?principal / ?resource slots) are not supported in agreements")]
    seen: dict[str, int] = {}
    for index, statement in enumerate(statements):
        policy_id = annotations[index].get("id")
        if not policy_id:
            problems.append(Problem(statement.line, 'policy has no @id("...") annotation'))
        elif policy_id in seen:
            problems.append(Problem(statement.line, f"@id {policy_id!r} already used on line {seen[policy_id]}"))
        else:
            seen[policy_id] = statement.line
    validation = cedarpy.validate_policies(source, schema())
    for error in validation.errors:
        match = _POLICY_NUMBER.match(error.policy_id)
        message = re.sub(r"^for policy `[^`]*`,\s*", "", error.error)
        if not match:
            problems.append(Problem(1, message))
            continue
        statement = statements[int(match.group(1))]
        word = re.search(r"`([^`]+)`", message)
        line = _first_line_with(statement, word.group(1), len(statement.text)) if word else None
        problems.append(Problem(line or statement.line, f"{annotations[int(match.group(1))].get('id')}: {message}"))
    problems.extend(_unknown_entities(code_only))
    return sorted(problems, key=lambda p: p.line)


@cache
def schema() -> cedarpy.Schema:
    return cedarpy.Schema.from_json_str(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def vocabulary_entities() -> cedarpy.Entities:
    """The vocabulary as Cedar entities: each key's parent is the key one dot up; recipients sit in groups."""

    def entity(kind: str, key: str, parent: tuple[str, str] | None) -> dict[str, object]:
        parents = [{"type": parent[0], "id": parent[1]}] if parent else []
        return {"uid": {"type": kind, "id": key}, "attrs": {}, "parents": parents}

    entities = [
        *(entity("Purpose", k, ("Purpose", p) if (p := vocabulary.parent(k)) else None) for k in vocabulary.PURPOSES),
        *(entity("DataCategory", k, ("DataCategory", p) if (p := vocabulary.parent(k)) else None)
          for k in vocabulary.CATEGORIES),
        *(entity("RecipientGroup", g, ("RecipientGroup", p) if p else None)
          for g, p in vocabulary.RECIPIENT_GROUPS.items()),
        *(entity("Recipient", r, ("RecipientGroup", g)) for r, g in vocabulary.RECIPIENTS.items()),
    ]
    return cedarpy.Entities.from_json_str(json.dumps(entities), schema())


def _statements(source: str) -> tuple[list[_Statement], str]:
    """Split on top-level ';' (not inside strings or // comments).

    Also returns the source with comments blanked out (same length, same lines), for the vocabulary check.
    """
    statements: list[_Statement] = []
    code = list(source)
    start: int | None = None
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "/" and source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end == -1 else end
            code[i:end] = " " * (end - i)
            i = end
            continue
        if not char.isspace() and start is None:
            start = i
        if char == '"':
            i += 1
            while i < n and source[i] != '"':
                i += 2 if source[i] == "\\" else 1
        elif char == ";" and start is not None:
            statements.append(_Statement(source[start : i + 1], source.count("\n", 0, start) + 1))
            start = None
        i += 1
    if start is not None:
        statements.append(_Statement(source[start:].rstrip(), source.count("\n", 0, start) + 1))
    return statements, "".join(code)


def _parse_problem(statement: _Statement) -> Problem | None:
    try:
        cedarpy.PolicySet.from_str(statement.text)
    except ValueError as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else "cannot parse policy"
        return Problem(_locate(statement, message), message)
    return None


def _locate(statement: _Statement, message: str) -> int:
    """The line cedarpy's parse error is on.

    cedarpy gives no positions, so parse ever longer prefixes of the statement, a line at a time: until the
    bad token is included the parser only complains that the input ended early. Errors raised after parsing
    (an unknown variable, say) name the offending word; we then point at the first line that has it.
    """
    lines = statement.text.split("\n")
    located = statement.line + len(lines) - 1
    for count in range(1, len(lines) + 1):
        try:
            cedarpy.PolicySet.from_str("\n".join(lines[:count]))
        except ValueError as exc:
            if str(exc).strip().splitlines()[:1] != [_EOF_MESSAGE]:
                located = statement.line + count - 1
                break
    word = re.search(r"`([^`]+)`|:\s*(\S+)$", message)
    token = word and (word.group(1) or word.group(2))
    if token and token not in lines[located - statement.line]:
        return _first_line_with(statement, token, located - statement.line) or located
    return located


def _first_line_with(statement: _Statement, word: str, before: int) -> int | None:
    """The first line of the statement (among its first ``before`` lines) where ``word`` stands alone."""
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    for offset, text in enumerate(statement.text.split("\n")[:before]):
        if pattern.search(text):
            return statement.line + offset
    return None


def _annotations(source: str) -> list[dict[str, str]]:
    """Annotations of each static policy, in file order (Cedar numbers them policy0, policy1, ...)."""
    est = json.loads(cedarpy.policies_to_json_str(source))
    static = est.get("staticPolicies", {})
    ordered = sorted(static, key=lambda cedar_id: int(_POLICY_NUMBER.match(cedar_id).group(1)))  # type: ignore[union-attr]
    if est.get("templates"):
        return []
    return [static[cedar_id].get("annotations", {}) or {} for cedar_id in ordered]


def _unknown_entities(code_only: str) -> list[Problem]:
    known = {
        "Purpose": vocabulary.PURPOSES,
        "DataCategory": vocabulary.CATEGORIES,
        "Recipient": vocabulary.RECIPIENTS,
        "RecipientGroup": vocabulary.RECIPIENT_GROUPS,
    }
    problems = []
    for match in _ENTITY_LITERAL.finditer(code_only):
        kind, key = match.group(1), match.group(2)
        if key not in known[kind]:
            line = code_only.count("\n", 0, match.start()) + 1
            problems.append(Problem(line, f'{kind}::"{key}" is not in the vocabulary (policy/vocabulary.py)'))
    return problems
