#!/usr/bin/env python3
"""Writes examples/streams/sample.jsonl: a labelled stream for the example pack (examples/policies).

Three days (Monday 2025-01-06 to Wednesday 2025-01-08) of plausible traffic from the example
pack's kinds of actors -- a billing service paying payroll, tax and rent, a payables agent paying
suppliers, support agents editing customer records, a pricing agent, the inventory sync -- and,
labelled "bad", the mistakes and attacks a gateway is there for: transfers from a compromised
agent at night, anomalous amounts, duplicate and split payments, frozen accounts, an agent
touching social security numbers, bulk deletes, enterprise downgrades, emails changed to a
throwaway domain, price drops and prices below cost, a runaway restocking agent, stock wipes.

Deterministic (a fixed seed): running it again writes the same file.

    python3 scripts/make_stream.py [OUTPUT] [--copies N]

With --copies N the three days are written N times, each copy three days after the one before
(for `airlock bench simulate --stream`: 575 copies are about a million lines with the sample's mix).
"""

import json
import random
import sys
from datetime import datetime, timedelta, timezone

rng = random.Random(16)
START = datetime(2025, 1, 6, tzinfo=timezone.utc)  # Monday
DAYS = 3
events = []  # (time, order, line)

TRUSTED = ["acc-100001", "acc-100002", "acc-100003"]  # payroll, tax office, landlord
SUPPLIERS = [f"acc-3{n:05d}" for n in rng.sample(range(100, 999), 12)]
OWN = "acc-100200"


def actor(ident, kind, roles=()):
    a = {"id": ident, "kind": kind}
    if roles:
        a["roles"] = list(roles)
    return a


BILLING = actor("svc-billing", "service", ["payments"])
PAYABLES = actor("agent-payables", "agent", ["payments"])
SUPPORT = actor("agent-support", "agent", ["support"])
ANA = actor("ana", "human", ["support-lead"])
GDPR = actor("svc-gdpr", "service")
PRICING = actor("agent-pricing", "agent", ["pricing"])
INVENTORY = actor("svc-inventory", "service")
RESTOCK = actor("agent-restock", "agent", ["inventory"])
QUARANTINED = actor("agent-quarantined", "agent")


def at(day, hour, minute=0.0):
    return START + timedelta(days=day, hours=hour, minutes=minute)


def working_time(day):
    """A time in business hours (08:00-18:00 at +01:00, so 07:00-17:00 UTC)."""
    return at(day, 7, rng.uniform(0, 600))


def add(time, who, mutation, label, ident=None):
    line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S") + f".{time.microsecond // 1000:03d}Z", "actor": who, "mutation": mutation, "label": label}
    if ident:
        line["id"] = ident
    events.append((time, len(events), line))


def transfer(amount, to, currency="EUR", source=OWN, memo=None):
    changes = {"amount": round(amount, 2), "currency": currency, "from_account": source, "to_account": to}
    if memo:
        changes["memo"] = memo
    return {"resource": "payments.transfer", "operation": "create", "changes": changes}


def customer(target, changes, operation="update", targets=None, before=None):
    m = {"resource": "crm.customer", "operation": operation}
    if targets:
        m["targets"] = targets
    else:
        m["target"] = target
    if operation != "delete":
        m["changes"] = changes
    if before:
        m["before"] = before
    return m


def product(target, changes, before):
    return {"resource": "catalog.product", "operation": "update", "target": target, "changes": changes, "before": before}


def customer_id():
    return f"cus-{rng.randint(1000, 9999)}"


# ---- Benign traffic -------------------------------------------------------------------------

for day in range(DAYS):
    # The billing service's batch of payroll, tax and rent instalments, 02:00-02:30 UTC, then
    # a few more during the day.
    for i in range(30):
        add(at(day, 2, i), BILLING, transfer(rng.lognormvariate(5.9, 0.35), rng.choice(TRUSTED), memo=f"Batch {day}-{i}"), "benign")
    for _ in range(20):
        add(working_time(day), BILLING, transfer(rng.lognormvariate(5.9, 0.35), rng.choice(TRUSTED)), "benign")
    # Larger payments are reviewed (transfer-review): benign, but they wait.
    for _ in range(3):
        add(working_time(day), BILLING, transfer(rng.uniform(1200, 4800), rng.choice(TRUSTED)), "benign")
    # Supplier invoices: mostly the trusted payees' kind of amounts, some to suppliers (new payees).
    for _ in range(12):
        add(working_time(day), PAYABLES, transfer(rng.uniform(40, 900), rng.choice(TRUSTED), memo=f"Invoice {rng.randint(1000, 9999)}"), "benign")
    for _ in range(4):
        add(working_time(day), PAYABLES, transfer(rng.uniform(40, 900), rng.choice(SUPPLIERS), memo=f"Invoice {rng.randint(1000, 9999)} — Lieferant"), "benign")

    # Support: notes, contact fixes (reviewed by privacy in parallel), plan changes.
    for _ in range(140):
        add(working_time(day), SUPPORT, customer(customer_id(), {"notes": rng.choice(["Called back, solved ✅", "Prefers email", "Asked for an invoice copy", "Address confirmed by phone", "Follow-up next week"])}), "benign")
    for _ in range(18):
        field, value = rng.choice([("email", f"user{rng.randint(1, 999)}@example.com"), ("phone", f"+41 44 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}")])
        add(working_time(day), SUPPORT, customer(customer_id(), {field: value}), "benign")
    for _ in range(10):
        old, new = rng.choice([("free", "standard"), ("standard", "premium"), ("premium", "standard"), ("standard", "free")])
        add(working_time(day), SUPPORT, customer(customer_id(), {"tier": new}, before={"tier": old}), "benign")
    add(working_time(day), SUPPORT, customer(customer_id(), {"tier": "premium"}, before={"tier": "enterprise"}), "benign")
    # A person corrects a social security number; the GDPR service erases customers on request.
    add(working_time(day), ANA, customer(customer_id(), {"ssn": f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"}), "benign")
    for _ in range(5):
        add(working_time(day), GDPR, customer(customer_id(), None, operation="delete"), "benign")

    # Pricing: small moves either way; now and then a cost update (reviewed: costs are confidential).
    for _ in range(100):
        sku = f"sku-{rng.randint(1, 900)}"
        price = round(rng.uniform(5, 200), 2)
        add(working_time(day), PRICING, product(sku, {"price": round(price * rng.uniform(0.9, 1.12), 2)}, {"price": price, "cost": round(price * 0.55, 2), "stock": rng.randint(0, 400)}), "benign")
    for _ in range(3):
        sku = f"sku-{rng.randint(1, 900)}"
        price = round(rng.uniform(5, 200), 2)
        add(working_time(day), PRICING, product(sku, {"cost": round(price * 0.6, 2)}, {"price": price, "cost": round(price * 0.55, 2), "stock": 40}), "benign")
    # Inventory sync, around the clock.
    for _ in range(200):
        stock = rng.randint(0, 400)
        add(at(day, 0, rng.uniform(0, 1440)), INVENTORY, product(f"sku-{rng.randint(1, 900)}", {"stock": max(0, stock + rng.randint(-20, 20))}, {"stock": stock}), "benign")

# ---- Bad traffic ----------------------------------------------------------------------------

# A suspended agent keeps trying.
for i in range(4):
    add(working_time(i % DAYS), QUARANTINED, product(f"sku-{rng.randint(1, 900)}", {"title": "Clearance — 90% off"}, {"price": 50.0}), "bad", f"suspended-{i + 1}")

# The payables agent, compromised, pays new accounts just under the review threshold at night.
for i in range(6):
    add(at(1 + i % 2, 23, rng.uniform(0, 50)), PAYABLES, transfer(rng.uniform(940, 995), f"acc-9{rng.randint(10000, 99999)}", memo="Urgent supplier payment"), "bad", f"night-payee-{i + 1}")

# Anomalous amounts to known payees (the billing service's history is hundreds of euros).
for i in range(3):
    add(working_time(1 + i % 2), BILLING, transfer(rng.uniform(9000, 9900), rng.choice(TRUSTED)), "bad", f"anomaly-{i + 1}")

# Duplicate payments: the same instalment twice, a minute apart. The pack has no rule for it.
for i in range(4):
    t = working_time(1 + i % 2)
    amount = round(rng.lognormvariate(5.9, 0.35), 2)
    payee = rng.choice(TRUSTED)
    add(t, BILLING, transfer(amount, payee, memo=f"Instalment {i}"), "benign")
    add(t + timedelta(minutes=1), BILLING, transfer(amount, payee, memo=f"Instalment {i}"), "bad", f"duplicate-{i + 1}")

# Splitting a large payment into pieces under the threshold.
t = at(2, 9, 30)
for i in range(5):
    add(t + timedelta(minutes=3 * i), PAYABLES, transfer(990.0, "acc-100003", memo="Part payment"), "bad", f"split-{i + 1}")

# Frozen accounts and transfers to the same account.
for i in range(4):
    add(working_time(i % DAYS), BILLING, transfer(rng.uniform(50, 500), "acc-000666" if i % 2 else "acc-000999"), "bad", f"frozen-{i + 1}")
for i in range(2):
    add(working_time(2), PAYABLES, transfer(300.0, OWN, source=OWN), "bad", f"same-account-{i + 1}")

# Malformed account numbers (the schema refuses them).
for i in range(3):
    add(working_time(1), PAYABLES, transfer(120.0, f"acct-{rng.randint(1, 99)}"), "bad", f"malformed-{i + 1}")

# Support agent: social security numbers, bulk deletes and edits, downgrades, emails to a
# throwaway domain.
for i in range(3):
    add(working_time(i % DAYS), SUPPORT, customer(customer_id(), {"ssn": "123-45-6789"}), "bad", f"agent-ssn-{i + 1}")
for i in range(2):
    add(working_time(2), SUPPORT, customer(None, None, operation="delete", targets=[f"cus-{n}" for n in rng.sample(range(1000, 9999), 25)]), "bad", f"bulk-delete-{i + 1}")
add(working_time(1), SUPPORT, customer(None, {"tier": "free"}, targets=[f"cus-{n}" for n in rng.sample(range(1000, 9999), 150)]), "bad", "bulk-downgrade")
for i in range(5):
    add(at(2, 14, 2 * i), SUPPORT, customer(customer_id(), {"tier": "free"}, before={"tier": "enterprise"}), "bad", f"enterprise-downgrade-{i + 1}")
for i in range(5):
    add(at(1, 16, 3 * i), SUPPORT, customer(customer_id(), {"email": f"billing{i}@mailinator.example"}), "bad", f"email-hijack-{i + 1}")

# Pricing agent: steep drops, prices below cost, a price ten times too high.
for i in range(4):
    price = round(rng.uniform(40, 200), 2)
    add(working_time(1 + i % 2), PRICING, product(f"sku-{rng.randint(1, 900)}", {"price": round(price * 0.6, 2)}, {"price": price, "cost": round(price * 0.55, 2), "stock": 80}), "bad", f"price-drop-{i + 1}")
for i in range(3):
    price = round(rng.uniform(40, 200), 2)
    add(working_time(2), PRICING, product(f"sku-{rng.randint(1, 900)}", {"price": round(price * 0.5, 2)}, {"price": round(price * 0.6, 2), "cost": round(price * 0.55, 2), "stock": 80}), "bad", f"below-cost-{i + 1}")
for i in range(2):
    price = round(rng.uniform(150, 199), 2)
    add(working_time(2), PRICING, product(f"sku-{rng.randint(1, 900)}", {"price": round(price * 10, 2)}, {"price": price, "cost": round(price * 0.55, 2), "stock": 30}), "bad", f"price-typo-{i + 1}")

# A runaway restocking agent: thirty-six updates in under a minute.
t = at(1, 10, 17)
for i in range(36):
    add(t + timedelta(seconds=1.6 * i), RESTOCK, product(f"sku-{i + 1}", {"stock": 999}, {"stock": rng.randint(0, 50)}), "bad", f"runaway-{i + 1}")

# Stock wiped on well-stocked products.
for i in range(3):
    add(working_time(2), INVENTORY, product(f"sku-{rng.randint(1, 900)}", {"stock": 0}, {"stock": rng.randint(150, 400)}), "bad", f"stock-wipe-{i + 1}")

events.sort(key=lambda e: (e[0], e[1]))
args = sys.argv[1:]
copies = 1
if "--copies" in args:
    at_flag = args.index("--copies")
    copies = int(args[at_flag + 1])
    del args[at_flag:at_flag + 2]
out = args[0] if args else "examples/streams/sample.jsonl"
with open(out, "w", encoding="utf-8") as f:
    for copy in range(copies):
        shift = timedelta(days=DAYS * copy)
        for time, _, line in events:
            if copy:
                t = time + shift
                line = dict(line, time=t.strftime("%Y-%m-%dT%H:%M:%S") + f".{t.microsecond // 1000:03d}Z")
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
bad = sum(1 for e in events if e[2]["label"] == "bad")
print(f"{out}: {len(events) * copies} lines, {bad * copies} labelled bad")
