"""Schemathesis over the merged OpenAPI document the gateway serves (GET /openapi.json), with
every service running behind it, as each role (anonymous, customer, maker, operator): every
check Schemathesis has, so no 5xx, every response conforms to the document (status, content
type, headers, body schema), data the document says is invalid is rejected, and data it says is
valid is accepted; then stateful runs that follow the links Schemathesis infers between
operations (an id a response returns, used by the next request). Any finding fails the test.

A schema-valid request may still break a domain rule no JSON Schema can express (a deadline in
the past, a currency the marketplace does not take, a maker who takes no commissions), answered
422 with that rule's code, or carry a well-formed cursor the service never issued (400
`invalid_cursor`). So positive_data_acceptance also expects 400 and 422, and the check
`refused_only_for_a_rule` below holds those two to exactly that: a schema-valid request refused
for what the schema could have said (a length, a pattern, a type, a control character) is a
finding.

Examples are bounded (SCHEMATHESIS_EXAMPLES, default 4 per operation and role; stateful steps
likewise) so the run takes a minute or two; `make reliability` raises it."""

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

from tests.reliability.marketplace import Stack, running
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
    "GET /api/v1/reviews/{id}",
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
    with running(stack):
        yield stack.url("gateway")


# What a schema-valid request may be refused with: a domain rule's 422, or a cursor never issued.
RULE_STATUSES = ("400", "422")
# The refusals a schema says: a request refused with one of these was not schema-valid after all.
SCHEMA_SAYS = {
    "validation_failed",  # the problem's code when every error below is of the schema's kinds
    "missing",
    "extra_forbidden",
    "string_type",
    "string_too_short",
    "string_too_long",
    "string_pattern_mismatch",
    "int_type",
    "int_parsing",
    "float_type",
    "bool_type",
    "decimal_parsing",
    "decimal_type",
    "enum",
    "literal_error",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "too_short",
    "too_long",
    "list_type",
    "dict_type",
    "model_type",
    "uuid_parsing",
    "uuid_type",
    "date_parsing",
    "date_from_datetime_parsing",
    "datetime_parsing",
    "control_character",
    "invalid_characters",
    "invalid_country",
    "currency_invalid",
    "malformed_json",
    "body_required",
    "repeated",
}


@schemathesis.check
def refused_only_for_a_rule(ctx, response, case) -> bool | None:
    """A schema-valid request refused with 400 or 422 is refused for a rule the schema cannot say."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if str(response.status_code) not in RULE_STATUSES:
        return None
    problem = response.json()
    if response.status_code == 400:
        if problem.get("code") == "malformed_multipart" and _control_character_in_a_part_name(case.body):
            # A form part named with a control character has a header no parser reads; the
            # upload's schema (any other parts are read and dropped) cannot say so.
            return None
        assert problem.get("code") == "invalid_cursor", f"a schema-valid request is malformed? {problem}"
        return None
    kinds = {error.get("code") for error in problem.get("errors", [])} or {problem.get("code")}
    said = kinds & SCHEMA_SAYS
    assert not said, f"a schema-valid request refused for what the schema could say ({said}): {problem}"
    return None


def _control_character_in_a_part_name(body: object) -> bool:
    return isinstance(body, dict) and any(not str(name).isprintable() for name in body)


@pytest.fixture(scope="module")
def api_schema(gateway: str):
    document = requests.get(gateway + "/openapi.json", timeout=10).json()
    assert "x-unavailable-services" not in document["info"], document["info"]
    config = schemathesis.Config.from_dict(
        {
            # Unknown query parameters are ignored by design (docs/api.md: only unknown *body*
            # fields are rejected); OpenAPI cannot say so, so none are generated.
            "generation": {"allow-extra-parameters": False},
            "checks": {
                "positive_data_acceptance": {
                    # 415: an uploaded file's bytes are not a photo (POST /images as a customer,
                    # who may upload). A schema says "binary"; what a photo is, it cannot say.
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "415", *RULE_STATUSES]
                }
            },
        }
    )
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
                case.call_and_validate(base_url=gateway, headers=headers)

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


@pytest.mark.parametrize("role", ROLES[1:])
def test_the_api_keeps_its_contract_across_linked_calls(
    api_schema, gateway: str, tokens: dict[str, str | None], role: str
) -> None:
    """Sequences of calls as one user, each request built from what an earlier response
    returned (the links Schemathesis infers between operations), every check on each step."""
    headers = {"Authorization": f"Bearer {tokens[role]}", "X-Forwarded-For": f"10.98.{ROLES.index(role)}.1"}

    class Journeys(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case):
            return {"base_url": gateway, "headers": headers}

    Journeys.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
