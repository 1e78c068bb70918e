"""Validate JSON bodies against the official OB v4.0 Account Information OpenAPI schemas.

OpenAPI 3.0 schema objects are a JSON Schema draft-4 dialect with extras: `nullable` (turned into
a "null" type here), `example`/`x-*` annotations (ignored by jsonschema) and `#/components/...`
references (resolved by keeping `components` at the root of every schema we validate with).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[2]


def spec_path() -> Path:
    return REPO / "specs" / "open-banking-uk-v4.0" / "account-info-openapi.yaml"


def _nullable_to_type(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _nullable_to_type(v) for k, v in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable_to_type(v) for v in node]
    return node


@cache
def components() -> dict[str, Any]:
    spec = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    return _nullable_to_type(spec["components"])


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("OB date-times must carry a time zone")
    return True


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


@cache
def validator(schema_name: str) -> jsonschema.Draft4Validator:
    comps = components()
    if schema_name not in comps["schemas"]:
        raise KeyError(f"no schema {schema_name} in the spec")
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": comps}
    return jsonschema.Draft4Validator(root, format_checker=FORMATS)


def errors(schema_name: str, body: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(schema_name).iter_errors(body)]


def assert_valid(schema_name: str, body: Any) -> None:
    problems = errors(schema_name, body)
    assert not problems, f"{schema_name}: " + "; ".join(problems[:5])
