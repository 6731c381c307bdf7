"""The OpenAPI document of a service, from its route declarations (shared/http.py's Routes):
paths, parameters (path, query, documented headers), bodies, responses and the problem+json
refusals, with every schema in components, where each `$ref` points. The gateway merges the
services' documents into the API's one (services/gateway/proxy.py)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from shared.errors import PROBLEM_TYPE
from shared.routes import Route

_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


_REF_TEMPLATE = "#/components/schemas/{model}"


class _ApiJsonSchema(GenerateJsonSchema):
    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        """A decimal is documented as the JSON number clients send. (Pydantic would add "or any
        string": a numeral in a string is parsed too, but no schema can bound its value.)"""
        json_schema = super().decimal_schema(schema)
        numbers = [branch for branch in json_schema.get("anyOf", []) if branch.get("type") == "number"]
        return numbers[0] if numbers else json_schema

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        """Every string says that it holds no NUL character, which the runtime refuses in any
        body (422 `invalid_characters`, shared/http.py). Text types (shared/text.py) replace
        this with their own, stricter pattern; a `format` (uuid, date-time…) says enough."""
        json_schema = super().str_schema(schema)
        if "pattern" not in json_schema and "format" not in json_schema:
            json_schema["pattern"] = _NO_NUL
        return json_schema


# JSON Schema patterns are ECMA-262 regular expressions: `\u0000` is the NUL character.
_NO_NUL = "^[^\\u0000]*$"


def openapi_document(title: str, routes: list[Route]) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for route in routes:
        if route.body is not None:
            models.append((route.body, "validation"))
        if route.response is not None:
            models.append((route.response, "serialization"))
        if route.query is not None:
            # Generated with the rest, so what a query field refers to (an enum) lands in
            # components, where its `$ref` points, rather than in a `$defs` nobody copies.
            models.append((route.query, "validation"))
    key_map, definitions = (
        models_json_schema(models, ref_template=_REF_TEMPLATE, schema_generator=_ApiJsonSchema)
        if models
        else ({}, {})
    )
    defined: dict[str, Any] = definitions.get("$defs", {})
    # A query model is spelled out as parameters, not kept as a schema of its own (unless it is
    # a body or response too).
    queries = {_ref_name(key_map[(r.query, "validation")]) for r in routes if r.query is not None}
    queries -= {_ref_name(ref) for (model, _), ref in key_map.items() if _is_body_or_response(model, routes)}
    schemas = {name: schema for name, schema in defined.items() if name not in queries}
    schemas["Problem"] = _PROBLEM_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": f"{route.method.lower()}_{route.handler.__name__}",
            "tags": [route.tag] if route.tag else [],
            "parameters": _parameters(
                route, defined[_ref_name(key_map[(route.query, "validation")])] if route.query else None
            ),
            "responses": _responses(route, key_map),
        }
        if route.auth != "none":
            operation["security"] = [{"bearer": []}] if route.auth == "required" else [{}, {"bearer": []}]
        if route.body is not None:
            operation["requestBody"] = {
                "required": route.body_required,
                "content": {"application/json": {"schema": key_map[(route.body, "validation")]}},
            }
        elif route.upload:
            file_field: dict[str, Any] = {
                "type": "object",
                "required": [route.upload],
                "properties": {route.upload: {"type": "string", "format": "binary"}},
            }
            operation["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": file_field}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _ref_name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).rsplit("/", 1)[-1]


def _is_body_or_response(model: Any, routes: list[Route]) -> bool:
    return any(model in (route.body, route.response) for route in routes)


def _parameters(route: Route, query: dict[str, Any] | None) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    if query is not None:
        required = set(query.get("required", []))
        for name, prop in query.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    for name, description in route.headers.items():
        params.append(
            {
                "name": name,
                "in": "header",
                "required": True,
                "description": description,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    return params


def _responses(route: Route, key_map: dict[Any, Any]) -> dict[str, Any]:
    problem = {"content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    ok: dict[str, Any] = {"description": "OK"}
    if route.response is not None:
        ok["content"] = {"application/json": {"schema": key_map[(route.response, "serialization")]}}
    elif route.produces:
        ok["content"] = {route.produces: {"schema": {"type": "string", "format": "binary"}}}
    responses: dict[str, Any] = {str(route.status): ok}
    errors = {400: "Malformed request", 404: "Not found", 422: "Validation failed"}
    if route.auth == "required":
        errors.update({401: "Authentication required", 403: "Wrong role"})
    if route.body is not None or route.upload:
        errors[413] = "Body too large"
    errors.update(route.extra_responses)
    for status, description in errors.items():
        # A refusal is problem+json; an extra response below 400 (a 304) has no body.
        responses[str(status)] = {"description": description, **(problem if status >= 400 else {})}
    return responses
