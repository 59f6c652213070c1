#!/usr/bin/env python3
"""A small MCP server, written with the official Python SDK, that the proxy tests put behind
`airlock mcp proxy`: a bank's and a shop's tools. Every call that runs is appended as a JSON line
to $UPSTREAM_LOG, so a test sees exactly which calls reached it."""

import json
import os

from mcp.server.fastmcp import FastMCP

server = FastMCP("bank")
BALANCES = {"acc-100200": 50000.0, "acc-100001": 1200.0}


def record(tool, **arguments):
    path = os.environ.get("UPSTREAM_LOG")
    if path:
        with open(path, "a") as log:
            log.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


@server.tool()
def get_balance(account: str) -> str:
    """The balance of an account."""
    record("get_balance", account=account)
    return f"{account}: {BALANCES.get(account, 0.0):.2f} EUR"


@server.tool()
def transfer_funds(amount: float, currency: str, from_account: str, to_account: str) -> str:
    """Moves money between two accounts."""
    record("transfer_funds", amount=amount, currency=currency, from_account=from_account, to_account=to_account)
    return f"transferred {amount:.2f} {currency} from {from_account} to {to_account}"


@server.tool()
def update_customer_email(customer_id: str, email: str) -> str:
    """Changes a customer's email address."""
    record("update_customer_email", customer_id=customer_id, email=email)
    return f"customer {customer_id} now has the email {email}"


@server.tool()
def rename_product(sku: str, title: str) -> str:
    """Gives a product a new title."""
    record("rename_product", sku=sku, title=title)
    return f"product {sku} is now called {title}"


@server.tool()
def delete_everything() -> str:
    """Deletes every record (no mapping covers it: the proxy must refuse it)."""
    record("delete_everything")
    return "deleted everything"


if __name__ == "__main__":
    server.run()
