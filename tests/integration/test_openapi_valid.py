"""Every OpenAPI document the marketplace serves is a valid OpenAPI 3.1 document: each service's
own /openapi.json and the gateway's merged one pass openapi-spec-validator, and every `$ref` in
them resolves (the validator follows the references of parameters, but not always those inside
a request or response body's schema, so each one is looked up here too). Both are proved to
catch what broke before (a query parameter's enum referring to a `#/$defs/...` the document does
not carry, a `$ref` to a missing schema) on corrupted copies, so a passing run means something."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.exceptions import Unresolvable

from services.gateway.proxy import merge_documents
from tests.reliability.marketplace import Stack, running
from tests.support.harness import TestEnvironment

SERVICES = ("makers", "catalogue", "orders", "media", "notifications", "reviews")
BROKEN = (OpenAPIValidationError, Unresolvable, AssertionError)


def check(document: dict[str, Any]) -> None:
    """The document is valid OpenAPI and each of its references names something in it."""
    validate(document)
    dangling = [ref for ref in _refs(document) if not _resolves(document, ref)]
    assert not dangling, f"$refs to nothing: {sorted(set(dangling))}"


def _resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False  # every document is self-contained
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@pytest.fixture(scope="module")
def stack(services_db: dict, test_env: TestEnvironment, workdir: Path) -> Iterator[Stack]:
    with running(
        Stack(test_env.env, workdir, split=(), MARKET_PG_POOL_MIN="1", MARKET_PG_POOL_MAX="2")
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def stack_url(stack: Stack) -> str:
    return stack.url("gateway")


@pytest.fixture(scope="module")
def documents(stack: Stack) -> dict[str, Any]:
    """Each service's document and the gateway's merged one, as served over HTTP."""
    return {
        key: requests.get(stack.url(key) + "/openapi.json", timeout=10).json()
        for key in (*SERVICES, "gateway")
    }


@pytest.mark.parametrize("key", [*SERVICES, "gateway"])
def test_the_document_is_valid(documents: dict[str, Any], key: str) -> None:
    check(documents[key])


def test_the_merged_document_has_every_path_and_enum_parameter(documents: dict[str, Any]) -> None:
    merged = documents["gateway"]
    assert "x-unavailable-services" not in merged["info"]
    for key in SERVICES:
        public = {p for p in documents[key]["paths"] if p.startswith(("/api/v1/", "/media/"))}
        assert public <= merged["paths"].keys(), public - merged["paths"].keys()
    # An enum query parameter (the makers list's status) refers to its schema in components.
    status = next(p for p in merged["paths"]["/api/v1/makers"]["get"]["parameters"] if p["name"] == "status")
    refs = _refs(status)
    assert refs and all(ref.startswith("#/components/schemas/") for ref in refs), status


def test_a_ref_to_a_missing_schema_fails_validation(documents: dict[str, Any]) -> None:
    broken = copy.deepcopy(documents["gateway"])
    operation = broken["paths"]["/api/v1/auth/register"]["post"]
    operation["requestBody"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/NoSuchSchema"
    }
    with pytest.raises(BROKEN):
        check(broken)


def test_an_enum_parameter_pointing_at_defs_fails_validation(documents: dict[str, Any]) -> None:
    """What the documents said before: the enum's schema under a `$defs` nobody copied."""
    broken = copy.deepcopy(documents["makers"])
    parameters = broken["paths"]["/api/v1/makers"]["get"]["parameters"]
    status = next(p for p in parameters if p["name"] == "status")
    status["schema"] = {"anyOf": [{"$ref": "#/$defs/MakerStatus"}, {"type": "null"}]}
    with pytest.raises(BROKEN):
        check(broken)


def test_merging_renames_a_clashing_schema_and_its_refs(documents: dict[str, Any]) -> None:
    """Two services naming different schemas alike: the second is prefixed, its references
    follow, and the merged document stays valid."""

    def service(path: str, schema: dict[str, Any]) -> dict[str, Any]:
        ok = {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
        }
        return {
            "openapi": "3.1.0",
            "info": {"title": "x", "version": "1"},
            "paths": {path: {"get": {"responses": {"200": ok}}}},
            "components": {"schemas": {"Item": schema}},
        }

    merged = merge_documents(
        "Marketplace",
        {
            "makers": service("/api/v1/makers", {"type": "object"}),
            "catalogue": service("/api/v1/listings", {"type": "string"}),
        },
    )
    check(merged)
    listing = merged["paths"]["/api/v1/listings"]["get"]["responses"]["200"]
    assert _refs(listing) == ["#/components/schemas/CatalogueItem"]
    assert merged["components"]["schemas"]["CatalogueItem"] == {"type": "string"}


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [r for k, v in value.items() for r in ([v] if k == "$ref" else _refs(v))]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_a_method_a_path_does_not_have_is_405_allowing_only_its_real_methods(
    documents: dict[str, Any], stack_url: str
) -> None:
    """For every path of the merged document, a method it does not have is refused with 405 and
    an Allow header naming exactly the methods the document gives it (HEAD aside, which any GET
    of the runtime's own routes answers)."""
    wrong = []
    for path, item in documents["gateway"]["paths"].items():
        documented = {method.upper() for method in item}
        method = next(m for m in ("PUT", "DELETE", "PATCH", "POST", "GET") if m not in documented)
        url = stack_url + re.sub(r"{[^}]+}", "00000000-0000-4000-8000-000000000000", path)
        response = requests.request(method, url, timeout=10)
        allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
        if response.status_code != 405 or allowed - {"HEAD"} != documented:
            wrong.append(
                f"{method} {path}: {response.status_code} Allow={sorted(allowed)} (has {sorted(documented)})"
            )
    assert not wrong, "\n".join(wrong)
