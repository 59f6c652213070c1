#!/usr/bin/env python3
"""The MCP gateway with the official Python MCP SDK as the client.

Run by Tests/AirlockCLITests/MCPGatewayTests.swift against a fresh server (no executors: the
caller executes), with the principals' keys in $AIRLOCK_TEST_KEYS (JSON: agent, alice, bob,
carol, root):

    mcp_test.py --base-url http://127.0.0.1:PORT --airlock .build/debug/airlock --work DIR

It checks `airlock serve`'s /mcp (streamable HTTP), `airlock mcp serve` (stdio) and
`airlock mcp proxy` in front of upstream_server.py; each check prints what it checks, and the
first failure exits 1 with the reason.
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

HERE = Path(__file__).resolve().parent
KEYS = json.loads(os.environ["AIRLOCK_TEST_KEYS"])
BIG = {"amount": 25000.0, "currency": "EUR", "from_account": "acc-100200", "to_account": "acc-100001"}


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)
    print("ok:", message, flush=True)


def text(result):
    return "\n".join(getattr(c, "text", "") for c in result.content)


class API:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, key, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {key}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def pending(self, key, predicate, timeout=15):
        """The id of the first open review the key may act on whose mutation fits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, body = self.call("GET", "/v1/reviews", key)
            for item in body.get("items", []):
                if predicate(item["mutation"]):
                    return item["mutation"]["id"]
            time.sleep(0.1)
        raise Failure("no open review appeared for the held call")


def later(function, *arguments):
    """Runs a reviewer's part in a thread while the model's call waits."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function(*arguments)
        except Exception as error:  # reported by the caller
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


async def gateway_tools(session, api, principal, label):
    """The tools of `airlock serve`'s /mcp and of `airlock mcp serve`: the same three."""
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    check(set(tools) == {"propose_mutation", "get_mutation", "list_resources"}, f"{label}: the three gateway tools are listed")
    schema = tools["propose_mutation"].inputSchema
    check("payments.transfer" in schema["properties"]["resource"]["enum"], f"{label}: propose_mutation's schema names the pack's resources")
    transfer = next(v for v in schema["oneOf"] if v["properties"]["resource"]["const"] == "payments.transfer")
    amount = transfer["properties"]["changes"]["properties"]["amount"]
    check(amount["type"] == "number" and "minimum" in amount and amount.get("x-data-class") == "financial",
          f"{label}: a field's schema carries its type, range and data class ({amount})")
    currency = transfer["properties"]["changes"]["properties"]["currency"]
    check("enum" in currency, f"{label}: an enum field lists its allowed values ({currency})")

    resources = await session.call_tool("list_resources", {})
    check(not resources.isError and "payments.transfer" in text(resources), f"{label}: list_resources lists the pack's resources")

    low = await session.call_tool("propose_mutation", {"resource": "catalog.product", "operation": "update", "target": "sku-1",
                                                       "changes": {"title": "Desk lamp"}})
    check(not low.isError and "approved" in text(low) and "tier low" in text(low), f"{label}: a low-tier proposal is approved at once")
    low_id = low.structuredContent["id"]
    _, view = api.call("GET", f"/v1/mutations/{low_id}", KEYS["root"])
    check(view["actor"] == principal, f"{label}: the mutation is the session's principal's ({view['actor']}), not an argument's")

    forged = await session.call_tool("propose_mutation", {"resource": "catalog.product", "operation": "update", "target": "sku-1",
                                                          "changes": {"title": "Lamp"}, "actor": "root"})
    check(forged.isError, f"{label}: an actor in the arguments is refused, never used ({text(forged)[:80]}…)")

    held = await session.call_tool("propose_mutation", {"resource": "payments.transfer", "operation": "create", "changes": BIG})
    said = text(held)
    check(not held.isError and "pending_review" in said and "waits for human approval" in said,
          f"{label}: a high-tier proposal says it waits for human approval")
    check("finance: 0 of 2" in said and "deadline" in said and "large-transfer" in said,
          f"{label}: it says who must approve, by when, and why")
    held_id = held.structuredContent["id"]
    thread, outcome = later(lambda: [api.call("POST", f"/v1/mutations/{held_id}/approve", KEYS[who], {"note": "checked"})
                                     for who in ("bob", "carol")])
    started = time.monotonic()
    followed = await session.call_tool("get_mutation", {"id": held_id, "wait_seconds": 20})
    thread.join()
    followed_text = text(followed)
    if "pending_review" in followed_text:  # the first approval woke the wait: wait for the second
        followed = await session.call_tool("get_mutation", {"id": held_id, "wait_seconds": 20})
        followed_text = text(followed)
    check("approved" in followed_text and "bob" in followed_text and "carol" in followed_text,
          f"{label}: get_mutation with a wait returns once two reviewers approved ({time.monotonic() - started:.1f} s)")

    rejected = await session.call_tool("propose_mutation", {"resource": "payments.transfer", "operation": "create", "changes": BIG})
    rejected_id = rejected.structuredContent["id"]
    api.call("POST", f"/v1/mutations/{rejected_id}/reject", KEYS["bob"], {"note": "invoice 2025-117 is a duplicate"})
    after = await session.call_tool("get_mutation", {"id": rejected_id})
    check("rejected by bob" in text(after) and "invoice 2025-117 is a duplicate" in text(after),
          f"{label}: a rejection comes back with the reviewer's note")

    blocked = await session.call_tool("propose_mutation", {"resource": "payments.transfer", "operation": "create",
                                                           "changes": dict(BIG, amount=50.0, from_account="acc-000666")})
    check("blocked" in text(blocked) and "frozen-account" in text(blocked), f"{label}: a blocked proposal says so, with the rule")

    started = time.monotonic()
    waited = await session.call_tool("get_mutation", {"id": rejected_id, "wait_seconds": 2})
    check(time.monotonic() - started < 5, f"{label}: a wait on a finished mutation returns at once")
    too_long = await session.call_tool("get_mutation", {"id": held_id, "wait_seconds": 600})
    check(too_long.isError and "60" in text(too_long), f"{label}: a wait past 60 s is refused, never a hang")


async def over_http(base, api):
    headers = {"Authorization": f"Bearer {KEYS['agent']}"}
    async with streamablehttp_client(base + "/mcp", headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await gateway_tools(session, api, "agent-7", "/mcp")
    # Without a key there is no session; a session answers only to the key that opened it.
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

    def post(key, body, session=None):
        request = urllib.request.Request(base + "/mcp", data=json.dumps(body).encode(), method="POST",
                                         headers=dict(headers, **({"Authorization": f"Bearer {key}"} if key else {}),
                                                      **({"Mcp-Session-Id": session} if session else {})))
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("Mcp-Session-Id"), response.read()
        except urllib.error.HTTPError as error:
            return error.code, None, error.read()

    status, _, _ = post(None, initialize)
    check(status == 401, f"/mcp without a bearer key is refused with 401 (got {status})")
    status, session, _ = post(KEYS["agent"], initialize)
    check(status == 200 and session, f"an initialize with a key opens a session ({status})")
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    status, _, body = post(KEYS["bob"], listing, session)
    check(status == 403 and b"another principal" in body, f"another principal's key cannot use the session (got {status})")
    status, _, _ = post(KEYS["agent"], listing, "no-such-session")
    check(status == 404, f"an unknown session is 404, so the client initializes again (got {status})")


async def over_stdio(base, airlock, api):
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AIRLOCK_URL": base, "AIRLOCK_KEY": KEYS["alice"]}
    parameters = StdioServerParameters(command=airlock, args=["mcp", "serve"], env=environment)
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await gateway_tools(session, api, "alice", "mcp serve (stdio)")


def upstream_calls(log):
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


async def proxy(base, airlock, api, work):
    log = work / "upstream.log"
    log.unlink(missing_ok=True)
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AIRLOCK_URL": base, "AIRLOCK_KEY": KEYS["agent"],
                   "UPSTREAM_LOG": str(log)}
    upstream = f"{sys.executable} {HERE / 'upstream_server.py'}"
    parameters = StdioServerParameters(
        command=airlock, args=["mcp", "proxy", "--upstream", upstream, "--mapping", str(HERE / "mapping.yaml")], env=environment)
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            check({"get_balance", "transfer_funds", "update_customer_email", "delete_everything"} <= set(tools),
                  "proxy: the upstream's tools are listed as the proxy's")
            check("amount" in tools["transfer_funds"].inputSchema["properties"], "proxy: with the upstream's schemas")

            balance = await session.call_tool("get_balance", {"account": "acc-100200"})
            check(not balance.isError and "50000.00" in text(balance), "proxy: a read tool is passed through")

            renamed = await session.call_tool("rename_product", {"sku": "sku-1", "title": "Desk lamp"})
            check(not renamed.isError and "is now called Desk lamp" in text(renamed), "proxy: a low-risk call is forwarded")
            _, page = api.call("GET", "/v1/mutations?resource=catalog.product", KEYS["root"])
            check(any(m["status"] == "executed" and m["changes"].get("title") == "Desk lamp" for m in page["items"]),
                  "proxy: it is a mutation, and its outcome is reported as executed")

            email = await session.call_tool("update_customer_email", {"customer_id": "cus-42", "email": "ana@example.com"})
            check(not email.isError and "now has the email" in text(email), "proxy: a medium-risk call is forwarded (reviewed in parallel)")

            thread, outcome = later(lambda: [
                api.call("POST", f"/v1/mutations/{mutation_id}/approve", KEYS[who], {"note": "ok"})
                for mutation_id in [api.pending(KEYS["bob"], lambda m: m["resource"] == "payments.transfer"
                                                and m["changes"]["amount"] == 25000.0 and m["status"] == "pending_review")]
                for who in ("bob", "carol")])
            started = time.monotonic()
            held = await session.call_tool("transfer_funds", BIG)
            thread.join()
            check("error" not in outcome, f"proxy: the reviewers approved ({outcome.get('error')})")
            check(not held.isError and "transferred 25000.00 EUR" in text(held),
                  f"proxy: a high-risk call waits and completes after two approvals ({time.monotonic() - started:.1f} s)")
            check(sum(1 for c in upstream_calls(log) if c["tool"] == "transfer_funds") == 1, "proxy: the upstream ran it once")

            before = len(upstream_calls(log))
            thread, outcome = later(lambda: api.call(
                "POST", f"/v1/mutations/{api.pending(KEYS['bob'], lambda m: m['resource'] == 'payments.transfer' and m['status'] == 'pending_review')}/reject",
                KEYS["bob"], {"note": "the amount is wrong"}))
            refused = await session.call_tool("transfer_funds", dict(BIG, amount=30000.0))
            thread.join()
            check(refused.isError and "rejected by bob" in text(refused) and "the amount is wrong" in text(refused),
                  "proxy: a rejected call is refused with the reviewer's note")
            check(len(upstream_calls(log)) == before, "proxy: the rejected call never reached the upstream")

            started = time.monotonic()
            blocked = await session.call_tool("transfer_funds", dict(BIG, amount=50.0, from_account="acc-000666"))
            check(blocked.isError and "blocked" in text(blocked) and time.monotonic() - started < 5,
                  "proxy: a blocked call is refused at once, with the reason")

            unmapped = await session.call_tool("delete_everything", {})
            check(unmapped.isError and "not mapped" in text(unmapped), "proxy: an unmapped tool is refused")
            sneaky = await session.call_tool("update_customer_email", {"customer_id": "cus-42", "email": "x@example.com", "ssn": "1"})
            check(sneaky.isError and "'ssn' is not mapped" in text(sneaky), "proxy: an argument outside the mapping is refused")
            check(not any(c["tool"] == "delete_everything" for c in upstream_calls(log)), "proxy: refused calls never reached the upstream")


async def proxy_timeout(base, airlock, work):
    """A held call not approved within the mapping's wait is refused with where it stands."""
    mapping = work / "short-wait.yaml"
    mapping.write_text((HERE / "mapping.yaml").read_text().replace("wait_seconds: 30", "wait_seconds: 2"))
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AIRLOCK_URL": base, "AIRLOCK_KEY": KEYS["agent"],
                   "UPSTREAM_LOG": str(work / "upstream-timeout.log")}
    upstream = f"{sys.executable} {HERE / 'upstream_server.py'}"
    parameters = StdioServerParameters(
        command=airlock, args=["mcp", "proxy", "--upstream", upstream, "--mapping", str(mapping)], env=environment)
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            started = time.monotonic()
            held = await session.call_tool("transfer_funds", dict(BIG, amount=26000.0))
            waited = time.monotonic() - started
            said = text(held)
            check(held.isError and "was not approved in that time" in said and waited < 10,
                  f"proxy: a call not approved within wait_seconds is refused after {waited:.1f} s, not left hanging")
            check("finance: 0 of 2" in said and "deadline" in said and "large-transfer" in said,
                  "proxy: the refusal says who must approve, by when, and why")
            check(not (work / "upstream-timeout.log").exists(), "proxy: the call never reached the upstream")


async def main_async(arguments):
    api = API(arguments.base_url)
    work = Path(arguments.work)
    work.mkdir(parents=True, exist_ok=True)
    await over_http(arguments.base_url, api)
    await over_stdio(arguments.base_url, arguments.airlock, api)
    await proxy(arguments.base_url, arguments.airlock, api, work)
    await proxy_timeout(arguments.base_url, arguments.airlock, work)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--airlock", required=True)
    parser.add_argument("--work", required=True)
    arguments = parser.parse_args()
    try:
        asyncio.run(main_async(arguments))
    except Failure as failure:
        print(f"FAILED: {failure}", flush=True)
        return 1
    except BaseExceptionGroup as group:
        failures = [e for e in group.exceptions if isinstance(e, Failure)]
        while not failures and group.exceptions and isinstance(group.exceptions[0], BaseExceptionGroup):
            group = group.exceptions[0]
            failures = [e for e in group.exceptions if isinstance(e, Failure)]
        if failures:
            print(f"FAILED: {failures[0]}", flush=True)
            return 1
        print("FAILED with an unexpected error:", flush=True)
        traceback.print_exc()
        return 1
    except BaseException:
        print("FAILED with an unexpected error:", flush=True)
        traceback.print_exc()
        return 1
    print("PASSED: every MCP check", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
