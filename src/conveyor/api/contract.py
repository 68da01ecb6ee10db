"""The OpenAPI document tells the whole truth about every operation, errors included.

FastAPI documents the success answer and a 422 of its own shape; the API really answers every
failure as application/problem+json (api/errors.py) from middleware and dependencies that FastAPI
doesn't see. Rather than repeat `responses=` on every route, the document is completed here, once,
from what each route is made of: a key is needed unless the path is public (401), a `require(...)`
dependency can refuse (403), path parameters name something that may not exist (404), a body may
be too large (413), of the wrong type (415) or not JSON (400), a write may meet a conflict (409),
the database may be unreachable (503) ... A route that can fail in a way of its own (a carrier's
502, say) names that status in its own `responses=` and gets the problem schema added here.

`tests/e2e/test_contract.py` runs schemathesis over every operation to prove the document true.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, routing
from fastapi.routing import APIRoute

from conveyor.api.authn import is_public

PROBLEM = "application/problem+json"
SCHEMA_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `code` is stable and machine-readable, `detail` is for people. "
                   "Some codes add fields (`shortages`, `skus`, `permission`, ...).",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "examples": ["validation_error"]},
        "detail": {"type": "string"},
        "request_id": {"type": "string", "description": "also in the X-Request-Id header; quote it in a report"},
        "errors": {"type": "array", "description": "validation_error: what is wrong, where",
                   "items": {"type": "object", "properties": {
                       "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                       "msg": {"type": "string"}, "type": {"type": "string"}}}},
    },
    "additionalProperties": True,
}

RETRY_AFTER = {"description": "seconds to wait before trying again", "required": True,
               "schema": {"type": "integer", "minimum": 0}}

WHY: dict[int, str] = {
    400: "`malformed_json` (the body is not JSON, or nests too deeply), `invalid_cursor`",
    401: "`unauthorized`: no valid API key (`Authorization: Bearer <key>`)",
    403: "`forbidden`: the key's role lacks the permission, or a channel key acts for another channel",
    404: "`not_found`: something the path, a filter or the body names doesn't exist (or a channel key "
         "may not see it)",
    409: "`conflict`, `illegal_transition`, `insufficient_stock`, `idempotency_in_progress`, ... : "
         "the current state doesn't allow it",
    413: "`payload_too_large`: the body is over CONVEYOR_MAX_BODY_BYTES",
    415: "`unsupported_media_type`: the body is not sent as the media type the operation reads",
    422: "`validation_error` (with `errors`), or a rule of the domain: `unknown_sku`, `unknown_location`, ...",
    429: "`rate_limited`: too many requests for this key",
    503: "`database_unavailable` or `busy`: try again after Retry-After",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "required": True, "schema": {"type": "string"}}},
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
WITH_BODY = {"POST", "PUT", "PATCH"}  # BodySizeLimit reads these (api/limits.py)
NO_DATABASE = {"/healthz"}
OPEN = {"/api/v1/health"}  # public and asks for no proof at all


# Documents already built in this process, by what they were built from (`_fingerprint`). Every app
# made by `create_app` has the same routes, and building the document costs about a second of CPU:
# once per process, not once per app (the test suite makes an app per test).
_BUILT: dict[tuple[Any, ...], dict[str, Any]] = {}


def install(app: FastAPI) -> None:
    """Replace `app.openapi` by one that completes FastAPI's document (built once, then cached)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            key = (app.title, app.version, app.description, _fingerprint(app.routes))
            if key not in _BUILT:
                doc = generate()
                complete(doc, api_routes(app))
                _BUILT[key] = doc
            app.openapi_schema = _BUILT[key]
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _fingerprint(routes: list[Any]) -> tuple[Any, ...]:
    """What an app's document is made of: every route's path, methods and endpoint, through the
    routers it includes (cheap: it reads the routers as declared and builds nothing)."""
    parts: list[Any] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            parts.append((getattr(context, "prefix", None), _fingerprint(included.routes)))
        else:
            methods = tuple(sorted(getattr(route, "methods", None) or ()))
            parts.append((type(route).__name__, getattr(route, "path", None), methods,
                          _name(getattr(route, "endpoint", None))))
    return tuple(parts)


def _name(endpoint: Any) -> str:
    # The qualified name, not id(): routers made by a function (the probes, /metrics) hold new
    # closures in every app, yet document the same operations.
    return f"{getattr(endpoint, '__module__', '')}.{getattr(endpoint, '__qualname__', repr(endpoint))}"


def api_routes(app: FastAPI) -> list[Any]:
    """Every documented route, with the prefix and dependencies its routers add. FastAPI 0.16x
    keeps included routers as branches (`iter_route_contexts` walks them); older ones flatten."""
    walk = getattr(routing, "iter_route_contexts", None)
    if walk is None:
        return [r for r in app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    return [r for r in walk(app.routes)
            if isinstance(r.original_route, APIRoute) and r.include_in_schema]


def complete(doc: dict[str, Any], routes: list[Any]) -> None:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})["apiKey"] = {
        "type": "http", "scheme": "bearer", "description": "An API key: `conveyor keys create` or POST /api-keys"}
    for route in routes:
        for method in route.methods or ():
            operation = doc["paths"][route.path_format].get(method.lower())
            if operation is not None:
                _complete_operation(operation, route, method)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _keys_as_validated(doc)


def _keys_as_validated(node: Any) -> None:
    """pydantic writes `dict[Code, int]` as `patternProperties` {pattern: int}, which lets any
    other key through; the model refuses such keys. Say it the way JSON Schema means it: every
    key matches (`propertyNames`), every value is a V (`additionalProperties`)."""
    if isinstance(node, list):
        for item in node:
            _keys_as_validated(item)
        return
    if not isinstance(node, dict):
        return
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "properties" not in node:
        (pattern, values), = patterns.items()
        del node["patternProperties"]
        node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
        node.setdefault("additionalProperties", values)
    for value in node.values():
        _keys_as_validated(value)


def _complete_operation(operation: dict[str, Any], route: Any, method: str) -> None:
    if not is_public(route.path_format):
        operation["security"] = [{"apiKey": []}]
    responses = operation.setdefault("responses", {})
    for status in failures(route, method):
        responses.setdefault(str(status), {"description": WHY[status]})
    for key, response in responses.items():
        status = int(key) if key.isdigit() else 0
        if status < 400:
            continue
        content = response.setdefault("content", {})
        validation = content.pop("application/json", None) if status == 422 else None
        if not content or validation:  # FastAPI's own 422 shape is never what we send
            content[PROBLEM] = {"schema": SCHEMA_REF}
        if status in HEADERS:
            response.setdefault("headers", {}).update(HEADERS[status])
        if response.get("description") in (None, "", "Validation Error"):
            response["description"] = WHY.get(status, "a problem (see `code`)")


def failures(route: Any, method: str) -> list[int]:
    """The statuses this operation can fail with, read from what the route is made of."""
    found = {422}  # every request: a NUL in the URL, a parameter or body out of bounds, a domain rule
    dependant = route.dependant
    if not is_public(route.path_format):
        found |= {401, 429}
    elif route.path_format.startswith("/api/v1/") and route.path_format not in OPEN:
        found.add(401)  # proven another way: a platform's signature, a customer's link token
    if permission_of(route) is not None:
        found.add(403)
    if dependant.path_params or dependant.query_params or route.body_field is not None:
        found.add(404)  # the path, a filter or the body names something that doesn't exist
    if any(p.name == "cursor" for p in dependant.query_params):
        found.add(400)
    if method in WITH_BODY:
        found.add(413)
        if route.body_field is not None:
            found |= {400, 415}
    if method in WRITES:
        found.add(409)
    if route.path_format not in NO_DATABASE:
        found.add(503)
    return sorted(found)


def permission_of(route: Any) -> str | None:
    """The permission a `require(...)` dependency of the route asks for, if any."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            return permission
        pending.extend(dependency.dependencies)
    return None
