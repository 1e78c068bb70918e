"""#17, the check that keeps it so: Schemathesis over the gateway's whole OpenAPI, every operation, with and without
the operator's credentials, positive and negative examples (bounded per operation): no answer is a 5xx. Over real
HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from schemathesis.core.failures import FailureGroup

from sarraf.config import Settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

BANKS = Path(__file__).resolve().parents[2] / "src/sarraf/banks.yaml"
TOKEN = "schemathesis-operator-token-0123456789"
EXAMPLES = 15
CREDENTIALS = {"none": {}, "operator": {"Authorization": f"Bearer {TOKEN}"}}
seen: dict[str, list[int]] = {}
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
unsatisfiable: list[str] = []


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Every API on (the operator's and the alerts preferences', one token for both), as deployed; an API left
    off answers 403 naming the variable to set, whatever the request (web/tenant_tokens.py)."""
    home = tmp_path_factory.mktemp("schemathesis")
    port = free_port()
    settings_ = Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}", banks_file=BANKS,
                         public_url=f"http://127.0.0.1:{port}", port=port, operator_token=TOKEN)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SARRAF_ALERTS_API_TOKEN", TOKEN)
        with serve_in_thread(create_app(settings_), port=port) as url:
            yield url


@pytest.fixture(scope="module")
def api(gateway: str) -> Any:
    return schemathesis.openapi.from_url(f"{gateway}/openapi.json")


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
                database=None)


def _call(case: Any, who: str) -> None:
    response = case.call(headers=CREDENTIALS[who], timeout=60)
    seen.setdefault(f"{case.method} {case.path}", []).append(response.status_code)
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body,
                                        response.status_code, response.text[:300])


def _operations(api: Any) -> list[Any]:
    found = [result.ok() for result in api.get_all_operations()]
    assert len(found) >= 20  # the whole API, not a part of it
    return found


@pytest.mark.parametrize("who", sorted(CREDENTIALS))
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_no_operation_answers_5xx(api: Any, who: str, mode: GenerationMode) -> None:
    for operation in _operations(api):

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            _call(case, who)

        try:
            run()
        except Unsatisfiable:  # nothing to break in it (no parameters or body): its positive run covered it
            assert mode is GenerationMode.NEGATIVE, operation.label
            unsatisfiable.append(operation.label)


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    total = sum(len(v) for v in seen.values())
    worst = max((s for v in seen.values() for s in v), default=0)
    fives = sum(1 for v in seen.values() for s in v if s >= 500)
    print(f"\nRESULT schemathesis_operations={len(seen)} cases={total} responses_5xx={fives} max_status={worst} "
          f"negative_unsatisfiable={len(unsatisfiable)}")



@pytest.mark.parametrize("who", sorted(CREDENTIALS))
def test_every_answer_matches_its_declared_schema(api: Any, who: str) -> None:
    """What each operation answers to a valid request is what the OpenAPI says it answers: a declared status,
    the declared content type and a body matching the declared schema (clients generated from /openapi.json
    can trust it)."""
    failures: set[str] = set()
    for operation in _operations(api):

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def run(case: Any) -> None:
            response = case.call(headers=CREDENTIALS[who], timeout=60)
            try:
                case.validate_response(response, checks=CONFORMANCE)
            except FailureGroup as found:  # one line per operation and status: the report lists them all
                first = str(found.exceptions[0]).splitlines()
                failures.add(f"{case.method} {case.path} -> {response.status_code}: {' '.join(first[:3])}")

        run()
    assert not failures, "\n".join(sorted(failures))
