#!/usr/bin/env python3
"""Re-verify an Airlock audit log export independently of Airlock.

Usage:
    airlock audit export --state-dir DIR -o audit.jsonl
    python3 scripts/verify_audit.py audit.jsonl --public-key "$(airlock audit key --state-dir DIR)"
    python3 scripts/verify_audit.py --self-test

Checks every record's hash (the canonical encoding in docs/audit.md), the prev_hash chain, the
RFC 6962 Merkle root at every checkpoint, and every checkpoint's Ed25519 signature. The hash chain
and the Merkle tree need only the standard library; signatures need the `cryptography` package
(skipped, with a note, when it is missing or no --public-key is given).

Exit status: 0 when everything checked is intact, 1 on the first problem, 2 on bad usage.
"""

import argparse
import base64
import binascii
import hashlib
import json
import struct
import sys

ZERO = bytes(32)


def encode_record(r):
    """The canonical encoding of a record (docs/audit.md, "Record encoding")."""

    def text(value):
        data = value.encode("utf-8")
        return struct.pack(">I", len(data)) + data

    def optional(value):
        return b"\x00" if value is None else b"\x01" + text(value)

    return (
        b"\x01"
        + struct.pack(">Qq", r["seq"], r["time_us"])
        + text(r["kind"])
        + optional(r.get("mutation_id"))
        + text(r["actor"])
        + optional(r.get("policy_version"))
        + text(r["payload"])
        + bytes.fromhex(r["prev_hash"])
    )


def record_hash(r):
    """SHA-256(0x00 || encoding): the record's hash, which is also its RFC 6962 leaf hash."""
    return hashlib.sha256(b"\x00" + encode_record(r)).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The right edge of an RFC 6962 tree: one perfect subtree root per set bit of the size."""

    def __init__(self):
        self.size = 0
        self.edge = []

    def append(self, record_hash_bytes):
        node = record_hash_bytes  # a record's hash is its leaf hash
        bits = self.size
        while bits & 1:
            node = node_hash(self.edge.pop(), node)
            bits >>= 1
        self.edge.append(node)
        self.size += 1

    def root(self):
        if not self.edge:
            return hashlib.sha256(b"").digest()
        root = self.edge[-1]
        for node in reversed(self.edge[:-1]):
            root = node_hash(node, root)
        return root


def checkpoint_message(c):
    return ("airlock-audit-checkpoint/v1\ntree_size %d\nroot %s\ntime_us %d\n" % (c["tree_size"], c["root"], c["time_us"])).encode()


def key_id(public_key):
    return hashlib.sha256(public_key).digest()[:8].hex()


def parse_public_key(text):
    if text.startswith("@"):
        with open(text[1:]) as f:
            text = f.read()
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise SystemExit("verify_audit.py: --public-key must be 64 hex digits or base64 of 32 bytes")
    return key


def signature_checker(public_key):
    """A function (checkpoint) -> bool, or None and the reason signatures are not checked."""
    if public_key is None:
        return None, "no --public-key given"
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return None, "the cryptography package is not installed (pip install cryptography)"
    key = Ed25519PublicKey.from_public_bytes(public_key)

    def check(c):
        try:
            key.verify(bytes.fromhex(c["signature"]), checkpoint_message(c))
            return True
        except (InvalidSignature, ValueError):
            return False

    return check, None


class Problem(Exception):
    def __init__(self, seq, kind, detail):
        super().__init__("seq %d: %s: %s" % (seq, kind, detail))


def verify(lines, public_key):
    check_signature, why_unsigned = signature_checker(public_key)
    frontier = Frontier()
    previous = None
    first = last = None
    checkpoints = signatures = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("type") == "checkpoint":
            checkpoints += 1
            size = item["tree_size"]
            if check_signature is not None:
                if public_key is not None and item["key_id"] != key_id(public_key):
                    raise Problem(size, "signature mismatch", "checkpoint at tree size %d names key %s, not %s" % (size, item["key_id"], key_id(public_key)))
                if not check_signature(item):
                    raise Problem(size, "signature mismatch", "the checkpoint at tree size %d does not verify under the key" % size)
                signatures += 1
            if first == 1:
                if last is None or size > last:
                    raise Problem((last or 0) + 1, "truncated", "a checkpoint signed %d records, but only %d come before it" % (size, last or 0))
                if size < last:
                    raise Problem(size, "malformed", "the checkpoint at tree size %d is not right after record %d" % (size, size))
                if frontier.root().hex() != item["root"]:
                    raise Problem(size, "checkpoint mismatch", "records 1..%d do not hash to the root signed at tree size %d" % (size, size))
            continue
        seq = item["seq"]
        if first is None:
            first = seq
            previous = bytes.fromhex(item["prev_hash"]) if seq != 1 else ZERO
        elif seq != last + 1:
            if seq > last + 1:
                raise Problem(last + 1, "deleted", "seq jumps from %d to %d" % (last, seq))
            raise Problem(seq, "reordered", "seq %d comes after seq %d" % (seq, last))
        stored = bytes.fromhex(item["hash"])
        if record_hash(item) != stored:
            raise Problem(seq, "edited", "its content no longer matches its hash")
        if bytes.fromhex(item["prev_hash"]) != previous:
            raise Problem(seq, "chain broken", "its prev_hash does not name the record before it (that record was changed, removed or moved)")
        if first == 1:
            frontier.append(stored)
        previous = stored
        last = seq
    if first is None:
        return "OK: no records"
    notes = []
    if first != 1:
        notes.append("partial export from seq %d: the chain is checked from there, the Merkle roots need a full export" % first)
    if check_signature is None:
        notes.append("checkpoint signatures not checked: " + why_unsigned)
    summary = "OK: %d records (seq %d..%d), %d checkpoints%s" % (
        last - first + 1, first, last, checkpoints,
        (", %d signatures valid" % signatures) if check_signature is not None else "",
    )
    if first == 1:
        summary += ", root %s" % frontier.root().hex()
    return "\n".join([summary] + ["note: " + n for n in notes])


def self_test():
    """The test vectors printed in docs/audit.md."""
    first = {"seq": 1, "time_us": 1764000000000000, "kind": "submitted", "mutation_id": "m-1", "actor": "agent-7",
             "policy_version": None, "payload": '{"amount":120.0,"to_account":"acc-991"}', "prev_hash": "00" * 32}
    h1 = record_hash(first)
    assert h1.hex() == "600a2592dcf8353bb2d96e0d954649279f1d1f7297710fec877b443417451c0b", h1.hex()
    second = {"seq": 2, "time_us": 1764000000250000, "kind": "decided", "mutation_id": "m-1", "actor": "policy",
              "policy_version": "pv-3f2a", "payload": '{"reasons":["large-transfer"],"tier":"high"}', "prev_hash": h1.hex()}
    h2 = record_hash(second)
    assert h2.hex() == "cfbab1a8753ae7a0ea262b4a5798f3507f36c2ae6bdcf96a84ee2702c4725688", h2.hex()
    tree = Frontier()
    tree.append(h1)
    tree.append(h2)
    assert tree.root().hex() == "a2488f7f4c694757aa795982bb4d8bcc545ad0e02a3b300ba676fd23c6ba830e"
    return "self-test OK: record hashes and Merkle root match docs/audit.md"


def main():
    parser = argparse.ArgumentParser(description="Re-verify an Airlock audit log export (JSON lines).")
    parser.add_argument("export", nargs="?", help="the export file, or - for standard input")
    parser.add_argument("--public-key", help="the checkpoint key: 64 hex digits, base64, or @FILE")
    parser.add_argument("--self-test", action="store_true", help="check the documented test vectors")
    args = parser.parse_args()
    if args.self_test:
        print(self_test())
        return 0
    if args.export is None:
        parser.error("give an export file (or - for standard input)")
    public_key = parse_public_key(args.public_key) if args.public_key else None
    stream = sys.stdin if args.export == "-" else open(args.export, encoding="utf-8")
    try:
        print(verify(stream, public_key))
        return 0
    except Problem as problem:
        print("FAIL %s" % problem)
        return 1
    except (KeyError, ValueError, TypeError) as error:
        print("FAIL malformed export: %r" % (error,))
        return 1
    finally:
        if stream is not sys.stdin:
            stream.close()


if __name__ == "__main__":
    sys.exit(main())
