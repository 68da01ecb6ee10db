"""The OpenAPI document is the contract: schemathesis calls every operation with data drawn from it,
as an admin and as a readonly key, and every answer must be one the document declares.

Checked on every answer (all of schemathesis' checks): no server error; the status, content type,
headers and body are those the document declares for that operation; a request the schema calls
invalid is refused; a request the schema calls valid is accepted or refused for a documented
reason (`refused_only_for_a_documented_reason`). SQLite only, a bounded number of examples per
operation, so it stays a CI test (docs/api.md "The contract").
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from datetime import datetime

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.core.jsonschema import make_validator
from schemathesis.engine import Status, events

from conveyor.api.app import create_app
from conveyor.auth.handlers import create_key
from conveyor.bootstrap import build
from conveyor.config import Settings
from tests.e2e.conftest import order_body
from tests.helpers import seed_world


class SchemaValidRequestRefused(Failure):
    def __init__(self, *, operation: str, status: int, code: str, detail: str) -> None:
        self.operation = operation
        self.title = "Schema-valid request refused without a documented reason"
        self.message = f"{status} {code}: {detail}"
        self.case_id = None
        self.code = code

    @property
    def _unique_key(self) -> str:
        return f"{self.operation}:{self.message}"


def documented_refusal(problem: dict) -> bool:
    """A schema-valid request may still be refused, for a reason the document names:
    - a domain code (`not_found`, `unknown_sku`, `conflict`, `invalid_rule`, `invalid_cursor`, ...);
    - a rule over several fields or the stored data that no schema can state ("discounts exceed
      the subtotal", "end before start", "not a POS channel"): `validation_error` raised by the
      domain, whose `errors` (if any) carry no `loc` in the request;
    - text no database stores: a NUL character or a lone surrogate (docs/api.md).
    `validation_error` with `errors` located in the request (`loc`) comes from the request models:
    they refuse what the schema allows - the schema lied, which is what this check exists to catch."""
    code = problem.get("code")
    if code in ("malformed_json", "unsupported_media_type"):
        return False
    if code != "validation_error":
        return True
    located = [e for e in problem.get("errors") or () if "loc" in e]
    return all(e.get("type") in ("nul_character", "invalid_text")
               # a model's rule over several fields ("name the person by email and/or phone")
               or (e.get("type") == "value_error" and list(e["loc"]) == ["body"]) for e in located)


def _body_is_schema_valid(case) -> bool:
    """Whether the body really fits its schema (the generator's word is not taken for it: some
    keywords, e.g. `propertyNames`, are drawn loosely)."""
    body = getattr(case, "body", None)
    if body is None or case.media_type is None or "json" not in case.media_type:
        return True
    alternative = case.operation.get_body_for_media_type(case.media_type)
    if alternative is None:
        return True
    validator = make_validator(alternative.optimized_schema, case.operation.schema.adapter.jsonschema_validator_cls)
    try:
        return validator.is_valid(body)
    except Exception:  # noqa: BLE001 - a body the validator can't even read is not schema-valid
        return False


@schemathesis.check
def refused_only_for_a_documented_reason(ctx, response, case) -> None:
    """Takes the place of schemathesis' positive_data_acceptance, which allows no 400/422 at all
    (so not even `unknown_sku` for a drawn SKU code) - and is stricter where it matters."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 415, 422):
        return None
    problem = response.json()
    if not documented_refusal(problem) and _body_is_schema_valid(case):
        raise SchemaValidRequestRefused(operation=case.operation.label, status=response.status_code,
                                        code=problem.get("code"), detail=str(problem)[:400])
    return None


# What refusing a schema-violating request may answer: schemathesis' own list, plus 413.
NEGATIVE_REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# Examples per operation for the fuzzing phase (the coverage phase draws its boundary and negative
# cases deterministically). CONVEYOR_CONTRACT_EXAMPLES=100 for a deeper run by hand.
EXAMPLES = int(os.environ.get("CONVEYOR_CONTRACT_EXAMPLES", "5"))
# The admin reaches every operation's logic, so it gets every phase; the readonly key is refused
# (403) on every write, so its run is about reads and the 403s being documented: no coverage phase.
PHASES = {"admin": ("examples", "coverage", "fuzzing"), "readonly": ("examples", "fuzzing")}


def config_for(token: str, phases: tuple[str, ...]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "headers": {"Authorization": f"Bearer {token}"},
        "generation": {"max-examples": EXAMPLES, "database": "none"},
        "phases": {name: {"enabled": name in phases} for name in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {"positive_data_acceptance": {"enabled": False},  # replaced by the check above
                   # A schema-violating body may also be refused for its size (413, documented on
                   # every operation that reads one): e.g. 5,001 tracking events, one over
                   # `maxItems`, are usually over CONVEYOR_MAX_BODY_BYTES too.
                   "negative_data_rejection": {"expected-statuses": NEGATIVE_REJECTIONS}},
        "continue-on-failure": True,
        "request-timeout": 60,  # a bound for a hang, not a speed check (CI machines are shared)
    })


@pytest.fixture
def contract_app(tmp_path, sqlite_template, monkeypatch):
    """The real app on a seeded SQLite database, with an admin and a readonly key."""
    _no_traffic_off_this_machine(monkeypatch)
    path = tmp_path / "contract.db"
    path.write_bytes(sqlite_template.read_bytes())
    c = build(Settings(database_url=f"sqlite:///{path}", api_key_cache_seconds=0, db_durable_commits=False))
    seed_world(c, {"SKU-A": 10, "SKU-B": 5}, locations=2)
    tokens = {role: create_key(c, role, role)[1] for role in ("admin", "readonly")}
    yield create_app(c), tokens
    c.close()


def _no_traffic_off_this_machine(monkeypatch) -> None:
    """A drawn webhook URL or channel feed must never make the test call out: only loopback."""
    real = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")) \
                and self.family in (socket.AF_INET, socket.AF_INET6):
            raise ConnectionRefusedError(f"the contract test calls no other machine ({host})")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


def run_schemathesis(app, token: str, phases: tuple[str, ...]) -> tuple[Counter, list[str], int]:
    """Every operation through `phases`; returns (failures by check, their descriptions, scenarios run)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config_for(token, phases))
    failures: Counter = Counter()
    described: list[str] = []
    tested: set[str] = set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            failures["error"] += 1
            described.append(f"error in {event.label}: {event.value!r}"[:500])
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            tested.add(event.recorder.label)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failures[check.name] += 1
                        failure = check.failure_info.failure
                        interaction = event.recorder.interactions.get(case_id)
                        request = interaction.request if interaction else None
                        described.append(f"{event.recorder.label} [{check.name}] {failure.title}: "
                                         f"{failure.message[:300]}"
                                         + (f"\n    {request.method} {request.uri[:200]} body={str(request.body)[:200]}"
                                            if request and check.name == "not_a_server_error" else ""))
    return failures, described, len(tested)


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "readonly"])
def test_every_operation_answers_as_documented(contract_app, role):
    app, tokens = contract_app
    operations = len([m for p in app.openapi()["paths"].values() for m in p])
    failures, described, tested = run_schemathesis(app, tokens[role], PHASES[role])
    print(f"schemathesis as {role}: {tested} scenarios over {operations} operations, failures {dict(failures)}")
    unique = sorted(set(described))
    assert not failures, f"{len(unique)} distinct:\n" + "\n".join(unique[:80])


# --- what the contract runs found, pinned (both databases, every run) -------------------------------


def test_requests_that_were_server_errors_now_answer_as_documented(api):

    product = api.get("/products").json()["items"][0]["id"]
    added = api.post(f"/products/{product}/skus", {"code": "NEW-1", "name": "n"})  # a 500 after writing
    assert added.status_code == 201 and api.get("/skus/NEW-1").status_code == 200, added.text
    supplier = {"code": "ACME", "name": "Acme"}
    assert api.post("/suppliers", supplier).status_code == 201
    assert api.post("/suppliers", supplier).status_code == 409  # "multiple values for code": a 500
    assert api.get("/outbox", params={"status": "nonsense"}).status_code == 422  # `status=` clashed: 500
    assert api.patch("/locations/WH1", {"name": ""}).status_code == 422  # stored, then every read was a 500
    assert api.patch("/suppliers/ACME", {"name": ""}).status_code == 422
    assert api.get("/locations").status_code == 200
    r = api.put("/locations/WH1/fulfilment-settings", {"release_mode": None})  # NOT NULL: a 500
    assert r.status_code == 422 and "release_mode may not be null" in r.text, r.text
    assert api.put("/locations/WH1/fulfilment-settings", {"webhook_url": None}).status_code == 200


def test_the_schema_and_validation_agree(api):
    location = {"code": "WH9", "name": "Nine", "type": "warehouse"}
    for field, value in (("active", 0), ("can_ship", "yes"), ("priority", True), ("priority", "10"),
                         ("latitude", "1.5")):
        r = api.post("/locations", {**location, field: value})
        assert (r.status_code, r.json()["code"]) == (422, "validation_error"), (field, value, r.text)
    assert api.get("/orders", params={"created_from": "1700000000"}).status_code == 422
    half_a_pair = json.dumps(order_body(notes="\ud800")).encode()  # escaped, as a JSON client sends it
    r = api.post("/orders", content=half_a_pair, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "invalid_text", r.text
    r = api.post("/orders", order_body(), headers={"content-type": "text/plain"})
    assert (r.status_code, r.json()["code"]) == (415, "unsupported_media_type")
    r = api.post("/api-keys", {"role": "admin", "channel": "web"})
    assert r.status_code == 422  # only a channel key names a channel: the schema says so too
    keys = api.get("/api-keys").json()
    assert all(datetime.fromisoformat(k["created_at"]).utcoffset() is not None for k in keys)  # RFC 3339
    r = api.client.options("/api/v1/automation/rules/dry-run", headers=api.headers("admin"))
    assert (r.status_code, r.headers["allow"]) == (405, "POST")
    r = api.client.get("/api/v1/channels/web/sku-map/import", headers=api.headers("admin"))
    assert (r.status_code, r.headers["allow"]) == (405, "POST")


def test_the_document_declares_every_failure_as_a_problem(api):
    doc = api.client.get("/openapi.json").json()
    operations = [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]
    assert len(operations) > 150
    for path, method, op in operations:
        failures = {int(s): r for s, r in op["responses"].items() if s.isdigit() and int(s) >= 400}
        assert 422 in failures and (path == "/healthz" or 503 in failures), (method, path)
        if path.startswith("/api/v1/") and op.get("security"):
            assert {401, 429} <= set(failures), (method, path)
        for status, response in failures.items():
            if (path, status) != ("/readyz", 503):
                assert "application/problem+json" in response["content"], (method, path, status)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
