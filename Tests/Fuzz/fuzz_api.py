#!/usr/bin/env python3
"""Fuzz Airlock's HTTP API from the OpenAPI document it serves (/openapi.yaml), with schemathesis.

    fuzz_api.py --base-url http://127.0.0.1:8080 --credentials .airlock/demo-credentials
    fuzz_api.py --base-url URL --key submitter=KEY --key reviewer=KEY --key admin=KEY --key auditor=KEY

Every operation is called with the key of a principal allowed to call it (ROLES below), so that
requests get past the role check to the route's own logic. The checks: no 5xx
(not_a_server_error), every status code documented (status_code_conformance), the documented
Content-Type (content_type_conformance), documented headers present
(response_headers_conformance), and the body valid against the documented schema
(response_schema_conformance).

First a scripted scenario (SCENARIO below: mutations of each tier, votes, a revision, a rollback,
a policy upload and its shadow run) goes through the same checks, so that the success answers a
fuzzer rarely reaches are checked too, and the lists the fuzzer then reads hold every shape of a
mutation. Then a body just over the 1 MiB limit goes to every operation that reads one. Then
schemathesis's phases: the document's examples, coverage (boundary and invalid values), fuzzing
(a fixed seed, a bounded number of examples per operation), and with --stateful the stateful
phase.

Exits 0 only when every check passed; 1 when a check failed or a request errored; 2 when the
server cannot be reached, the document cannot be loaded, a key is refused, or the run did not
complete (stopped, timed out, an operation never tested). Each distinct failure is printed with a
curl command that reproduces it; the last line is "fuzz: N passed, N failed", counting operations.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# Hypothesis keeps its files (caches, an example database) in ./.hypothesis unless told otherwise:
# a run leaves nothing in the checkout, and no earlier run's examples change this one.
if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
    _storage = tempfile.mkdtemp(prefix="fuzz-api-hypothesis-")
    atexit.register(shutil.rmtree, _storage, ignore_errors=True)
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = _storage

import requests  # noqa: E402
import yaml  # noqa: E402

import schemathesis  # noqa: E402
from schemathesis.engine import Status, StopReason, events, from_schema  # noqa: E402

# Who calls each operation (by operationId): a principal the route admits. An operation not listed
# runs as the admin, and the run says so.
ROLES = {
    "submitMutation": "submitter",
    "listMutations": "admin",
    "getMutation": "admin",
    "approveMutation": "reviewer",
    "rejectMutation": "reviewer",
    "requestChanges": "reviewer",
    "rollbackMutation": "admin",
    "reportOutcome": "admin",
    "listReviews": "reviewer",
    "listAudit": "auditor",
    "verifyAudit": "auditor",
    "listPolicies": "admin",
    "uploadPolicy": "admin",
    "activatePolicy": "admin",
    "startShadowPolicy": "admin",
    "getShadowReport": "admin",
    "stopShadowPolicy": "admin",
    "listResources": "submitter",
    "getSystem": "submitter",
    "setFreeze": "admin",
    "mcpPost": "submitter",
    "mcpGet": "submitter",
    "mcpDelete": "submitter",
    # No key needed; sent with one all the same.
    "getMetrics": "submitter",
    "health": "submitter",
    "ready": "submitter",
    "openapi": "submitter",
}
ROLE_NAMES = ("submitter", "reviewer", "admin", "auditor")
# The demo principals of `airlock serve` (its demo-credentials file) that play each role.
DEMO_KEYS = {
    "AIRLOCK_KEY_AGENT_7": "submitter",
    "AIRLOCK_KEY_BOB": "reviewer",
    "AIRLOCK_KEY_ROOT": "admin",
    "AIRLOCK_KEY_AUDITOR": "auditor",
}

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)

# GET /v1/mutations/{id}?wait=N holds the request up to N seconds (≤ 60) when the id is real; a
# valid wait is cut to this many seconds so that a run stays bounded (invalid ones go as generated).
MAX_WAIT_SECONDS = 0.5

# Just over the largest body the server reads (1 MiB).
OVERSIZED_TEXT = "x" * ((1 << 20) + 1)
OVERSIZED_CURL = (
    """python3 -c "print('{\\"note\\":\\"' + 'x' * %d + '\\"}')" | """
    """curl -X %s -H "Authorization: Bearer %s" -H 'Content-Type: %s' --data-binary @- %s%s""")
TRANSFER = {"amount": 25000.0, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}
# A pack of one file (the shape PUT /v1/policies/{name} takes), on the example pack's pools.
STRICT_PACK = """\
policy: fuzz-strict-catalog
description: Every catalog change waits for an ops lead.
classes: [public, internal]
tiers:
  medium: { from_score: 30, pool: ops-reviewers }
  high: { from_score: 60, pool: ops-leads }
  block: { from_score: 100 }
resources:
  catalog.product:
    operations: [update]
    reversible: true
    fields:
      title: { type: string, class: public }
rules:
  - id: review-everything
    when: "true"
    tier: high
    reason: Every catalog change is reviewed
"""
# The scripted scenario, on the example pack (README): (name, operationId, role, path parameters,
# query, body, headers). A path parameter "@name" is the id of the mutation (or the version of the
# policy) that the step of that name answered with; a step whose reference is missing is skipped.
SCENARIO = [
    ("low", "submitMutation", "submitter", {}, None,
     {"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": {"notes": "prefers email"}}, None),
    ("replay", "submitMutation", "submitter", {}, None,
     {"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": {"notes": "prefers phone"}},
     {"Idempotency-Key": "fuzz-replay"}),
    ("replay-again", "submitMutation", "submitter", {}, None,
     {"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": {"notes": "prefers phone"}},
     {"Idempotency-Key": "fuzz-replay"}),
    ("medium", "submitMutation", "submitter", {}, None,
     {"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": {"email": "ana@example.com"}}, None),
    ("medium-2", "submitMutation", "submitter", {}, None,
     {"resource": "crm.customer", "operation": "update", "target": "cus-7", "changes": {"email": "bo@example.com"}}, None),
    ("high", "submitMutation", "submitter", {}, None,
     {"resource": "payments.transfer", "operation": "create", "changes": TRANSFER}, None),
    ("high-2", "submitMutation", "submitter", {}, None,
     {"resource": "payments.transfer", "operation": "create", "changes": {**TRANSFER, "amount": 30000.0}}, None),
    ("block", "submitMutation", "submitter", {}, None,
     {"resource": "payments.transfer", "operation": "create",
      "changes": {**TRANSFER, "amount": 50.0, "from_account": "acc-000666"}}, None),
    ("invalid", "submitMutation", "submitter", {}, None,
     {"resource": "payments.transfer", "operation": "create", "changes": {"amount": "a lot"}}, None),
    # Invalid in shape, not only in value: each is recorded as rejected and listed with the rest.
    ("invalid-changes", "submitMutation", "submitter", {}, None,
     {"resource": "crm.customer", "operation": "update", "target": "cus-42", "changes": "not an object"}, None),
    ("invalid-targets", "submitMutation", "submitter", {}, None,
     {"resource": "crm.customer", "operation": "delete", "targets": ["cus-1", 2, None], "changes": {}}, None),
    ("invalid-types", "submitMutation", "submitter", {}, None,
     {"resource": 7, "operation": False, "target": 5, "changes": None}, None),
    ("approve", "approveMutation", "reviewer", {"id": "@high"}, None, {"note": "invoice checked"}, None),
    ("reject", "rejectMutation", "reviewer", {"id": "@medium-2"}, None, {"note": "the customer did not ask"}, None),
    ("request-changes", "requestChanges", "reviewer", {"id": "@high-2"}, None,
     {"changes": TRANSFER, "note": "the invoice says 25000"}, None),
    ("rollback", "rollbackMutation", "admin", {"id": "@medium"}, None, {"note": "fuzz: undo the email"}, None),
    ("get", "getMutation", "admin", {"id": "@high"}, None, None, None),
    ("wait", "getMutation", "admin", {"id": "@high"}, {"wait": 0.2, "status": "pending_review"}, None, None),
    ("reviews", "listReviews", "reviewer", {}, None, None, None),
    ("list", "listMutations", "admin", {}, {"limit": 500}, None, None),
    # The pack as a mapping: schemathesis writes a body as YAML, and the pack's text given as a string
    # would go as one YAML string (the document says `type: string` for this body).
    ("upload", "uploadPolicy", "admin", {"name": "fuzz-strict"}, None, yaml.safe_load(STRICT_PACK),
     {"Content-Type": "application/yaml"}),
    ("shadow", "startShadowPolicy", "admin", {"version": "@upload"}, None, None, None),
    ("shadow-report", "getShadowReport", "admin", {}, None, None, None),
    ("freeze", "setFreeze", "admin", {}, None, {"on": True, "reason": "fuzz: a freeze"}, None),
    ("frozen", "submitMutation", "submitter", {}, None,
     {"resource": "catalog.product", "operation": "update", "target": "sku-1", "changes": {"title": "Desk lamp"}}, None),
    ("thaw", "setFreeze", "admin", {}, None, {"on": False}, None),
    ("system", "getSystem", "submitter", {}, None, None, None),
    ("audit", "listAudit", "auditor", {}, {"limit": 1000}, None, None),
]


def fail(message: str, code: int = 2) -> None:
    print(f"fuzz_api: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def parse_keys(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """The key of each role, and the shell variable that stands for it in a printed reproduction."""
    keys: dict[str, str] = {}
    names: dict[str, str] = {}
    if args.credentials:
        path = Path(args.credentials)
        try:
            text = path.read_text()
        except OSError as error:
            fail(f"cannot read the credentials file {path}: {error}")
        for line in text.splitlines():
            match = re.match(r"^\s*(?:export\s+)?(AIRLOCK_KEY_[A-Z0-9_]+)=(.*)$", line)
            if match and match.group(1) in DEMO_KEYS:
                value = shlex.split(match.group(2))
                if value:
                    keys[DEMO_KEYS[match.group(1)]] = value[0]
                    names[DEMO_KEYS[match.group(1)]] = match.group(1)
        missing = sorted({*DEMO_KEYS.values()} - keys.keys())
        if missing:
            fail(f"{path} has no key for the role(s) {', '.join(missing)} ({', '.join(DEMO_KEYS)} expected)")
    for item in args.key:
        role, sep, key = item.partition("=")
        if not sep or role not in ROLE_NAMES:  # a bare key serves every role
            if sep and re.fullmatch(r"[a-z]+", role):
                fail(f"--key {role}=…: the role must be one of {', '.join(ROLE_NAMES)}")
            for name in ROLE_NAMES:
                keys[name], names[name] = item, "FUZZ_KEY"
            continue
        if not key:
            fail(f"--key {role}= has an empty key")
        keys[role], names[role] = key, f"FUZZ_KEY_{role.upper()}"
    if not keys:
        fail("no key given: pass --credentials FILE, --key KEY, or --key ROLE=KEY for each of " + ", ".join(ROLE_NAMES))
    # A role without a key of its own borrows the admin's, else another one's.
    fallback = "admin" if "admin" in keys else next(iter(keys))
    for name in ROLE_NAMES:
        if name not in keys:
            print(f"fuzz_api: no key for the {name} role; its operations run with the {fallback}'s key")
            keys[name], names[name] = keys[fallback], names[fallback]
    return keys, names


class Yaml12Loader(yaml.SafeLoader):
    """YAML as OpenAPI 3.1 means it (1.2): only true and false are booleans (1.1 also reads `on`,
    `off`, `yes`, `no`, which would turn the freeze body's field `on` into `True`), and a date
    stays a string."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_document(base_url: str, timeout: float) -> dict:
    url = f"{base_url}/openapi.yaml"
    try:
        response = requests.get(url, timeout=timeout)
    except requests.RequestException as error:
        fail(f"the server is not reachable at {url}: {error}")
    if response.status_code != 200:
        fail(f"GET {url} answered {response.status_code}, not 200: {response.text[:500]}")
    try:
        document = yaml.load(response.text, Loader=Yaml12Loader)
    except yaml.YAMLError as error:
        fail(f"GET {url} is not YAML: {error}")
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        fail(f"GET {url} is not an OpenAPI 3 document")
    if not document.get("paths"):
        fail(f"GET {url} lists no paths")
    return document


def check_keys(base_url: str, keys: dict[str, str], timeout: float) -> None:
    """Every key must be one the server knows: GET /v1/system admits any principal."""
    for role, key in keys.items():
        try:
            response = requests.get(f"{base_url}/v1/system", headers={"Authorization": f"Bearer {key}"}, timeout=timeout)
        except requests.RequestException as error:
            fail(f"the server is not reachable at {base_url}: {error}")
        if response.status_code != 200:
            fail(f"the {role} key is refused: GET /v1/system answered {response.status_code}: {response.text[:300]}")


def operation_ids(document: dict) -> list[str]:
    return [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]


def build_config(args: argparse.Namespace, document: dict, keys: dict[str, str]) -> schemathesis.Config:
    phases = ["examples", "coverage", "fuzzing"] + (["stateful"] if args.stateful else [])
    ids = operation_ids(document)
    unknown = [op for op in ids if op not in ROLES]
    if unknown:
        print(f"fuzz_api: no role for {', '.join(unknown)} (add it to ROLES in {Path(__file__).name}); they run as the admin")
    data = {
        "seed": args.seed,
        "base-url": args.base_url,
        "workers": args.workers,
        "continue-on-failure": True,
        "request-timeout": args.request_timeout,
        "checks": {"enabled": False, **{name: {"enabled": True} for name in args.checks}},
        "generation": {"mode": "all", "max-examples": args.max_examples, "no-shrink": not args.shrink, "database": "none"},
        "phases": {name: {"enabled": name in phases} for name in ("examples", "coverage", "fuzzing", "stateful")},
        # Reproductions print keys as shell variables (with_key_names), not as "[Filtered]".
        "output": {"sanitization": {"enabled": False}},
        "operations": [
            {"include-operation-id": op, "headers": {"Authorization": f"Bearer {keys[ROLES.get(op, 'admin')]}"}}
            for op in ids
        ],
    }
    if args.stateful:
        data["phases"]["stateful"]["max-steps"] = args.max_steps
    return schemathesis.Config.from_dict(data)


@schemathesis.hook
def before_call(context, case, kwargs):
    """Keeps a long poll short: a valid `wait` is cut to MAX_WAIT_SECONDS."""
    if case.operation.definition.raw.get("operationId") != "getMutation" or not case.query:
        return
    wait = case.query.get("wait")
    if isinstance(wait, (int, float)) and not isinstance(wait, bool) and MAX_WAIT_SECONDS < wait <= 60:
        case.query["wait"] = MAX_WAIT_SECONDS


class Failures:
    """Distinct failures: one per operation, check, status and (for a schema) the place it breaks,
    each with the shortest reproduction seen and how many cases hit it."""

    def __init__(self, keys: dict[str, str], names: dict[str, str]):
        self.items: dict[tuple, dict] = {}
        self.keys, self.names = keys, names

    def with_key_names(self, curl: str) -> str:
        for role, key in self.keys.items():
            curl = curl.replace(f"'Authorization: Bearer {key}'", f'"Authorization: Bearer ${self.names[role]}"')
            curl = curl.replace(key, f"${self.names[role]}")
        return curl

    def add(self, *, operation: str, check: str, failure, curl: str, response, phase: str) -> None:
        status = response.status_code if response is not None else None
        # A schema failure is the same failure wherever the schema breaks in the same place.
        schema_path = "/".join(str(part) for part in getattr(failure, "schema_path", None) or ())
        kind = (status, schema_path or (failure.message[:200] if check == "response_schema_conformance" else ""))
        key = (operation, check, failure.title, kind)
        curl = self.with_key_names(curl)
        known = self.items.get(key)
        if known is not None:
            known["count"] += 1
            if len(curl) >= len(known["curl"]):
                return
        body = response.content.decode("utf-8", "replace") if response is not None and response.content else ""
        self.items[key] = {
            "operation": operation, "check": check, "title": failure.title, "message": failure.message,
            "curl": curl, "status": status, "body": body,
            "phase": known["phase"] if known else phase, "count": known["count"] if known else 1,
        }

    def __len__(self) -> int:
        return len(self.items)

    def operations(self) -> set[str]:
        return {item["operation"] for item in self.items.values()}

    def print(self) -> None:
        for index, item in enumerate(self.items.values(), 1):
            print(f"\n--- failure {index}: {item['operation']} — {item['check']} ({item['title']}; "
                  f"{item['count']} case(s), first in {item['phase']})")
            if item["message"]:
                print("    " + item["message"].strip().replace("\n", "\n    "))
            print(f"    answered {item['status']}: {item['body'][:600].strip()}")
            print(f"    reproduce: {item['curl']}")


def run_scenario(schema, keys: dict[str, str], failures: Failures, statuses: dict[str, Counter]) -> None:
    """The scripted SCENARIO, each answer through the same checks as the fuzzed ones."""
    answers: dict[str, dict] = {}
    outcome = []
    for name, operation_id, role, path_parameters, query, body, headers in SCENARIO:
        try:
            operation = schema.find_operation_by_id(operation_id)
        except Exception:  # noqa: BLE001 - not in the document (any more)
            outcome.append(f"{name} (no {operation_id} in the document)")
            continue
        parameters = {}
        for parameter, value in path_parameters.items():
            if isinstance(value, str) and value.startswith("@"):
                answer = answers.get(value[1:]) or {}
                value = answer.get("id") or answer.get("version") or (answer.get("mutation") or {}).get("id")
            parameters[parameter] = value
        if any(value is None for value in parameters.values()):
            outcome.append(f"{name} (skipped)")
            continue
        media_type = (headers or {}).get("Content-Type", "application/json") if body is not None else None
        case = operation.Case(
            path_parameters=parameters or None, query=query, headers={k: v for k, v in (headers or {}).items() if k != "Content-Type"} or None,
            **({"body": body, "media_type": media_type} if body is not None else {}))
        auth = {"Authorization": f"Bearer {keys[role]}"}
        try:
            response = case.call(headers=auth)
        except requests.RequestException as error:
            fail(f"scenario step {name}: {operation.label} failed: {error}")
        statuses.setdefault(operation.label, Counter())[response.status_code] += 1
        try:
            answers[name] = response.json()
        except ValueError:
            answers[name] = {}
        detail = answers[name].get("detail") if response.status_code >= 400 and isinstance(answers[name], dict) else None
        outcome.append(f"{name} {response.status_code}" + (f" ({detail})" if detail else ""))
        try:
            case.validate_response(response, headers=auth)
        except (BaseExceptionGroup, AssertionError) as group:  # the checks' failures, grouped
            for failure in check_failures(group):
                failures.add(
                    operation=operation.label, check=_check_name(failure), failure=failure,
                    curl=case.as_curl_command(headers=auth), response=response, phase="scenario")
    print(f"fuzz_api: scenario: {', '.join(outcome)}", flush=True)


def run_oversized(schema, base_url: str, keys: dict[str, str], failures: Failures, statuses: dict[str, Counter]) -> None:
    """A body just over the 1 MiB limit to every operation that reads one (and to /mcp, which reads
    one whatever the document says): the answer must be a documented refusal, never a 5xx. A
    generator never makes a body that large."""
    outcome = []
    for result in schema.get_all_operations():
        try:
            operation = result.ok()
        except Exception:  # noqa: BLE001 - an operation schemathesis cannot read; the engine reports it
            continue
        raw = operation.definition.raw
        content = (raw.get("requestBody") or {}).get("content") or {}
        if not content and raw.get("operationId") != "mcpPost":
            continue
        media_type = next(iter(content), "application/json")
        role = ROLES.get(raw.get("operationId"), "admin")
        parameters = {name: "fuzz-oversized" for name in re.findall(r"{([^}]+)}", operation.path)}
        case = operation.Case(path_parameters=parameters or None, body={"note": OVERSIZED_TEXT}, media_type=media_type)
        auth = {"Authorization": f"Bearer {keys[role]}"}
        try:
            response = case.call(headers=auth)
        except requests.RequestException as error:
            fail(f"oversized body: {operation.label} failed: {error}")
        statuses.setdefault(operation.label, Counter())[response.status_code] += 1
        outcome.append(f"{operation.label} {response.status_code}")
        try:
            case.validate_response(response, headers=auth)
        except (BaseExceptionGroup, AssertionError) as group:  # the checks' failures, grouped
            for failure in check_failures(group):
                curl = OVERSIZED_CURL % (len(OVERSIZED_TEXT), operation.method.upper(), keys[role], media_type,
                                         base_url, case.formatted_path)
                failures.add(operation=operation.label, check=_check_name(failure), failure=failure,
                             curl=curl, response=response, phase="oversized body")
    print(f"fuzz_api: oversized bodies: {', '.join(outcome)}", flush=True)


def check_failures(error: Exception) -> list:
    """The check failures of what validate_response raised; anything else is not a check's verdict."""
    found = list(getattr(error, "exceptions", None) or [error])
    if not all(isinstance(failure, AssertionError) for failure in found):
        raise error
    return found


def _check_name(failure) -> str:
    checks = getattr(type(failure), "checks", ())
    return checks[0] if checks else type(failure).__name__


def run_engine(schema, failures: Failures, statuses: dict[str, Counter], time_limit: float, started: float):
    """schemathesis's phases; returns (operations tested, errors, stop reason, timed out)."""
    tested: set[str] = set()
    errors: list[str] = []
    stop_reason = None
    timed_out = False
    stream = from_schema(schema).execute()
    for event in stream:
        if not timed_out and time.monotonic() - started > time_limit:
            timed_out = True
            stream.stop()
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            if event.status != Status.SKIP:
                tested.add(recorder.label)
            for case_id, interaction in recorder.interactions.items():
                node = recorder.cases.get(case_id)
                if node is not None and interaction.response is not None:
                    statuses.setdefault(node.value.operation.label, Counter())[interaction.response.status_code] += 1
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status != Status.FAILURE or check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    interaction = recorder.interactions.get(failure.case_id or case_id)
                    failures.add(
                        operation=failure.operation or recorder.label, check=check.name, failure=failure,
                        curl=check.failure_info.code_sample,
                        response=interaction.response if interaction is not None else None,
                        phase=str(getattr(event.phase, "value", event.phase)))
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.value}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            stop_reason = event.stop_reason
    return tested, errors, stop_reason, timed_out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="the running gateway, e.g. http://127.0.0.1:8080")
    parser.add_argument("--key", action="append", default=[], metavar="[ROLE=]KEY",
                        help=f"a bearer key; ROLE is one of {', '.join(ROLE_NAMES)} (repeat); a bare KEY serves every role")
    parser.add_argument("--credentials", metavar="FILE",
                        help="a demo-credentials file written by `airlock serve` (agent-7, bob, root, auditor)")
    parser.add_argument("--max-examples", type=int, default=50, help="fuzzed examples per operation (default 50)")
    parser.add_argument("--seed", type=int, default=18, help="the seed of every phase (default 18)")
    parser.add_argument("--workers", type=int, default=1, help="operations tested at once (default 1)")
    parser.add_argument("--stateful", action="store_true", help="also run the stateful phase (chains of calls)")
    parser.add_argument("--max-steps", type=int, default=10, help="steps per stateful scenario (default 10)")
    parser.add_argument("--no-scenario", action="store_true", help="skip the scripted scenario")
    parser.add_argument("--checks", default=",".join(CHECKS),
                        help=f"comma-separated schemathesis checks (default {','.join(CHECKS)})")
    parser.add_argument("--shrink", action="store_true", help="shrink failing fuzzed cases (slower, smaller reproductions)")
    parser.add_argument("--request-timeout", type=float, default=10.0, help="seconds per request (default 10)")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="stop, and fail, when the run takes longer than this many seconds (default 600)")
    args = parser.parse_args()
    args.base_url = args.base_url.rstrip("/")
    args.checks = [name.strip() for name in args.checks.split(",") if name.strip()]

    started = time.monotonic()
    keys, names = parse_keys(args)
    document = load_document(args.base_url, args.request_timeout)
    check_keys(args.base_url, keys, args.request_timeout)
    try:
        schema = schemathesis.openapi.from_dict(document, config=build_config(args, document, keys))
    except Exception as error:  # noqa: BLE001 - any loading problem ends the run, loudly
        fail(f"schemathesis cannot load the document: {error}")
    print(f"fuzz_api: schemathesis {schemathesis.__version__} on {args.base_url}/openapi.yaml: seed {args.seed}, "
          f"max-examples {args.max_examples}, workers {args.workers}, checks {', '.join(args.checks)}, phases "
          f"{'scenario, ' if not args.no_scenario else ''}examples, coverage, fuzzing{', stateful' if args.stateful else ''}",
          flush=True)

    failures = Failures(keys, names)
    statuses: dict[str, Counter] = {}
    if not args.no_scenario:
        run_scenario(schema, keys, failures, statuses)
        run_oversized(schema, args.base_url, keys, failures, statuses)
    tested, errors, stop_reason, timed_out = run_engine(schema, failures, statuses, args.time_limit, started)
    elapsed = time.monotonic() - started

    all_operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
    }
    print("\nfuzz_api: answers by operation and status")
    for label in sorted(statuses, key=lambda text: (text.split(" ", 1)[-1], text)):
        counts = statuses[label]
        row = " ".join(f"{code}×{counts[code]}" for code in sorted(counts))
        note = "" if any(200 <= code < 300 for code in counts) else "   (no 2xx: its success answer went unchecked)"
        print(f"    {label:42} {row}{note}")
    if failures:
        variables = ", ".join(f"${names[role]} ({role})" for role in ROLE_NAMES)
        source = f"; `. {args.credentials}` sets them" if args.credentials else ""
        print(f"\nfuzz_api: reproductions name the keys {variables}{source}")
        failures.print()
    for error in errors:
        print(f"\n--- error: {error}")

    tested &= all_operations
    untested = sorted(all_operations - tested)
    print(f"\nfuzz_api: {len(tested)} of {len(all_operations)} operations tested, {len(failures)} distinct failure(s), "
          f"{len(errors)} error(s), {elapsed:.1f} s")
    if timed_out:
        fail(f"the run took longer than --time-limit {args.time_limit:.0f} s and was stopped")
    if stop_reason is not None and stop_reason != StopReason.COMPLETED:
        fail(f"the run did not complete: {stop_reason.value}")
    if untested:
        fail(f"operations never tested: {', '.join(untested)}")
    failed = len(failures.operations() | {error.split(":", 1)[0] for error in errors} & all_operations)
    print(f"fuzz: {len(all_operations) - failed} passed, {failed} failed")
    return 1 if failures or errors else 0


if __name__ == "__main__":
    sys.exit(main())
