"""Schemathesis over the merged OpenAPI document the gateway serves (GET /openapi.json), with
every service running behind it, as each role (anonymous, customer, maker, operator): no 5xx,
every response conforms to the document (status, content type, body schema), and data the
document says is invalid is rejected.

Schemathesis's positive_data_acceptance check is left out on purpose: the contract answers a
schema-valid request that breaks a domain rule with 422 (a deadline in the past, a maker who
takes no commissions, an ISO code that does not exist) and an opaque cursor it never issued with
400, neither of which a JSON Schema can express. Every other check runs.

Examples are bounded (SCHEMATHESIS_EXAMPLES, default 4 per operation and role) so the run takes
a minute or two; `make reliability` raises it."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.reliability.marketplace import Stack
from tests.support.harness import TestEnvironment

pytestmark = pytest.mark.timeout(600)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25" if os.environ.get("RELIABILITY_FULL") else "4"))
ROLES = ("anonymous", "customer", "maker", "operator")
# The operations no invalid request can be written for, so the negative run sends them nothing
# (Hypothesis: Unsatisfiable): their only input is one path parameter typed as a plain string (an
# id that is not a UUID, or a handle that does not exist, is a 404, not a schema violation), with
# no query parameter and no body. Every other operation must run at least one example in each mode.
NOTHING_INVALID_TO_SEND = {
    "GET /api/v1/listings/{id}",
    "GET /api/v1/makers/{id}",
    "GET /api/v1/makers/{id}/shipping",
    "GET /api/v1/makers/by-handle/{handle}",
    "GET /media/{key}",  # a rendition's key: any other string is a 404
}


@pytest.fixture(scope="module")
def gateway(services_db: dict, test_env: TestEnvironment, workdir: Path) -> Iterator[str]:
    stack = Stack(
        test_env.env,
        workdir,
        split=(),
        MARKET_PG_POOL_MIN="1",
        MARKET_PG_POOL_MAX="4",
        GATEWAY_RATE_LIMIT_BURST="1000000",
        GATEWAY_RATE_LIMIT_PER_S="100000",
        GATEWAY_LOGIN_ADDRESS_BURST="1000000",
        GATEWAY_LOGIN_ACCOUNT_BURST="1000000",
    )
    try:
        stack.start_all()
        yield stack.url("gateway")
    finally:
        stack.close()


@pytest.fixture(scope="module")
def api_schema(gateway: str):
    document = requests.get(gateway + "/openapi.json", timeout=10).json()
    assert "x-unavailable-services" not in document["info"], document["info"]
    # Unknown query parameters are ignored by design (docs/api.md: only unknown *body* fields are rejected);
    # OpenAPI cannot say so, so none are generated.
    config = schemathesis.Config.from_dict({"generation": {"allow-extra-parameters": False}})
    return schemathesis.openapi.from_dict(document, config=config)


@pytest.fixture(scope="module")
def tokens(mint: Callable[..., str]) -> dict[str, str | None]:
    return {"anonymous": None, **{role: mint(role, uuid.uuid4()) for role in ROLES[1:]}}


def _operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_api_keeps_its_contract(
    api_schema, gateway: str, tokens: dict[str, str | None], mode: str
) -> None:
    """Every operation, with Hypothesis-generated requests (valid ones, then invalid ones),
    each sent as every role in turn. Schemathesis's Python API drives it (its pytest plugin's
    lazy schemas do not run under this pytest)."""
    generation = schemathesis.GenerationMode(mode)
    failures: dict[str, str] = {}
    examples: Counter[str] = Counter()  # by operation: the generated requests actually sent
    unsatisfiable: set[str] = set()
    calls = 0
    for operation in _operations(api_schema):

        @given(case=operation.as_strategy(generation_mode=generation))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        def run(case) -> None:
            nonlocal calls
            examples[case.operation.label] += 1
            for index, role in enumerate(ROLES):
                headers = {"X-Forwarded-For": f"10.99.{index}.1"}
                if tokens[role]:
                    headers["Authorization"] = f"Bearer {tokens[role]}"
                calls += 1
                case.call_and_validate(
                    base_url=gateway, headers=headers, excluded_checks=[positive_data_acceptance]
                )

        try:
            run()
        except Unsatisfiable:
            unsatisfiable.add(operation.label)  # judged below: allowed only where nothing is invalid
        except (Exception, BaseExceptionGroup) as exc:  # gather them all, then report
            failures[operation.label] = str(exc)[:1500]
    labels = [operation.label for operation in _operations(api_schema)]
    print(
        f"\nschemathesis {mode}: {calls} calls, {examples.total()} examples over {len(labels)} operations;"
        f" unsatisfiable: {sorted(unsatisfiable)}"
    )
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    excused = NOTHING_INVALID_TO_SEND & unsatisfiable if mode == "negative" else set()
    untested = [label for label in labels if not examples[label] and label not in excused]
    assert not untested, f"no {mode} example ran for {untested} (unsatisfiable: {sorted(unsatisfiable)})"
