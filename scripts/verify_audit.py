#!/usr/bin/env python3
"""Re-verify an Airlock audit log export independently of Airlock.

Usage:
    airlock audit export --state-dir DIR -o audit.jsonl
    python3 scripts/verify_audit.py audit.jsonl --public-key "$(airlock audit key --state-dir DIR)"
    python3 scripts/verify_audit.py --self-test

Checks every record's hash (the canonical encoding in docs/audit.md), that its `time` is its hashed
`time_us` and that times never go back, the prev_hash chain, the RFC 6962 Merkle root at every
checkpoint, and every checkpoint's Ed25519 signature; with the export's head line (the store's head
marker and checkpoint_every), a log cut short and deleted checkpoints, as `airlock audit verify`. The hash chain
and the Merkle tree need only the standard library; signatures need the `cryptography` package
(skipped, with a note, when it is missing or no --public-key is given).

With --witness FILE (the server's audit.witness), every witnessed checkpoint must still be in the
export: its size within the export, its root that of that many records, its line present. With
--consistency PROOF, checks a proof printed by `airlock audit consistency` (RFC 6962 §2.1.2).

Exit status: 0 when everything checked is intact, 1 on the first problem, 2 on bad usage (a
--public-key that cannot be read or is not a key included).
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


class BadUsage(Exception):
    """Bad usage (exit status 2): a --public-key that cannot be read or is not a key, …"""


def parse_public_key(text):
    if text.startswith("@"):
        try:
            with open(text[1:]) as f:
                text = f.read()
        except OSError as error:
            raise BadUsage("--public-key: cannot read %s: %s" % (text[1:], error.strerror))
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise BadUsage("--public-key must be 64 hex digits or base64 of 32 bytes (or @FILE holding one)")
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


RECORD_FIELDS = {"actor", "hash", "kind", "mutation_id", "payload", "policy_version", "prev_hash", "seq", "time", "time_us", "type"}
CHECKPOINT_FIELDS = {"key_id", "root", "signature", "time_us", "tree_size", "type"}


def rfc3339(micros):
    """`time_us` as the export writes it for people: 2025-11-24T16:00:00.000000Z."""
    seconds, fraction = divmod(micros, 1_000_000)
    days, rest = divmod(seconds, 86400)
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    # Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (year, month, day, hour, minute, second, fraction)


def read_witness(path):
    """The checkpoints of a witness file (one JSON line each); lines that do not read are skipped."""
    witnessed = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                item = json.loads(line)
                witnessed.append({k: item[k] for k in ("tree_size", "root", "time_us", "key_id", "signature")})
            except (ValueError, KeyError, TypeError):
                continue
    return witnessed


def check_checkpoint_signature(c, public_key, check_signature, where):
    if c["key_id"] != key_id(public_key):
        raise Problem(c["tree_size"], "signature mismatch", "%s at tree size %d names key %s, not %s" % (where, c["tree_size"], c["key_id"], key_id(public_key)))
    if not check_signature(c):
        raise Problem(c["tree_size"], "signature mismatch", "%s at tree size %d does not verify under the key" % (where, c["tree_size"]))


def verify(lines, public_key, witness=None):
    check_signature, why_unsigned = signature_checker(public_key)
    frontier = Frontier()
    previous = None
    previous_time = None
    first = last = None
    last_hash = None
    head = None
    checkpoints = signatures = 0
    checkpoint_sizes = set()
    latest_checkpoint = 0
    witness = witness or []
    if check_signature is not None:
        for c in witness:
            check_checkpoint_signature(c, public_key, check_signature, "the witness's checkpoint")
    witness_sizes = {c["tree_size"] for c in witness}
    roots_at = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item = json.loads(line)
        kind = item.get("type")
        if kind == "head":
            if number != 1 or head is not None:
                raise Problem(0, "malformed", "line %d: the head line must be the export's first" % number)
            head = item
            continue
        if kind == "checkpoint":
            if set(item) != CHECKPOINT_FIELDS:
                raise Problem(item.get("tree_size", 0), "malformed", "line %d: a checkpoint has the fields %s, not %s" % (number, sorted(item), sorted(CHECKPOINT_FIELDS)))
            checkpoints += 1
            size = item["tree_size"]
            checkpoint_sizes.add(size)
            latest_checkpoint = max(latest_checkpoint, size)
            if check_signature is not None:
                check_checkpoint_signature(item, public_key, check_signature, "the checkpoint")
                signatures += 1
            if first == 1:
                if last is None or size > last:
                    raise Problem((last or 0) + 1, "truncated", "a checkpoint signed %d records, but only %d come before it" % (size, last or 0))
                if size < last:
                    raise Problem(size, "malformed", "the checkpoint at tree size %d is not right after record %d" % (size, size))
                if frontier.root().hex() != item["root"]:
                    raise Problem(size, "checkpoint mismatch", "records 1..%d do not hash to the root signed at tree size %d" % (size, size))
            continue
        if kind != "record" or set(item) != RECORD_FIELDS:
            raise Problem(item.get("seq", 0), "malformed", "line %d: a record has the fields %s, not %s (every field must be covered by its hash)" % (number, sorted(item), sorted(RECORD_FIELDS)))
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
        if item["time"] != rfc3339(item["time_us"]):
            raise Problem(seq, "edited", "its time %s is not its hashed time_us %d (%s)" % (item["time"], item["time_us"], rfc3339(item["time_us"])))
        if previous_time is not None and item["time_us"] < previous_time:
            raise Problem(seq, "edited", "its time is earlier than the record before it, which the store never writes (a time was changed and the chain recomputed)")
        if bytes.fromhex(item["prev_hash"]) != previous:
            raise Problem(seq, "chain broken", "its prev_hash does not name the record before it (that record was changed, removed or moved)")
        if first == 1:
            frontier.append(stored)
            if seq in witness_sizes:
                roots_at[seq] = frontier.root().hex()
        previous = stored
        previous_time = item["time_us"]
        last = seq
        last_hash = item["hash"]
    notes = []
    if head is not None:
        check_head(head, first, last, last_hash, checkpoint_sizes, latest_checkpoint)
    else:
        notes.append("no head line (an export from before v2): truncation and deleted checkpoints are not checked")
    for c in sorted(witness, key=lambda c: c["tree_size"]):
        size = c["tree_size"]
        if size > (last or 0):
            raise Problem((last or 0) + 1, "truncated", "the export ends at seq %d, but the witness holds a checkpoint over %d records signed at %s" % (last or 0, size, rfc3339(c["time_us"])))
        if first == 1:
            if roots_at.get(size) != c["root"]:
                raise Problem(1, "checkpoint mismatch", "records 1..%d do not hash to the root the witness holds for tree size %d" % (size, size))
            if size not in checkpoint_sizes:
                raise Problem(size, "checkpoint missing", "the witness holds a checkpoint at tree size %d signed at %s that the export lacks" % (size, rfc3339(c["time_us"])))
    if witness and first is not None and first != 1:
        notes.append("partial export: the witnessed roots need a full export")
    if first is None:
        return "\n".join(["OK: no records"] + ["note: " + n for n in notes])
    if first != 1:
        notes.append("partial export from seq %d: the chain is checked from there, the Merkle roots need a full export" % first)
    if check_signature is None:
        notes.append("checkpoint signatures not checked: " + why_unsigned)
    summary = "OK: %d records (seq %d..%d), %d checkpoints%s" % (
        last - first + 1, first, last, checkpoints,
        (", %d signatures valid" % signatures) if check_signature is not None else "",
    )
    if witness:
        summary += ", %d witnessed checkpoints found" % len(witness)
    if first == 1:
        summary += ", root %s" % frontier.root().hex()
    return "\n".join([summary] + ["note: " + n for n in notes])


def check_head(head, first, last, last_hash, checkpoint_sizes, latest_checkpoint):
    """What `airlock audit verify` checks with the store's head marker and checkpoint_every."""
    size = head.get("size")
    end = last or 0
    if size is None:
        raise Problem(1, "checkpoint missing", "the store's head marker (audit_head) is missing: the store writes it with every record")
    if size > end:
        raise Problem(end + 1, "truncated", "the export ends at seq %d, but the store's head marker says %d records were written" % (end, size))
    if size < end:
        raise Problem(size + 1, "inserted", "records %d..%d were not written by the store (its head marker says the log ends at seq %d)" % (size + 1, end, size))
    if last is not None and head.get("last_hash") not in (None, last_hash):
        raise Problem(end, "edited", "the store's head marker names another last record hash (%s)" % head["last_hash"])
    checkpoint_size = head.get("checkpoint_size") or 0
    if checkpoint_size > 0 and checkpoint_size >= (first or 1) and checkpoint_size not in checkpoint_sizes:
        raise Problem(checkpoint_size, "checkpoint missing", "the checkpoint the store signed at tree size %d is gone" % checkpoint_size)
    every = head.get("checkpoint_every")
    if every and last is not None and (first == 1 or latest_checkpoint > 0) and last - latest_checkpoint >= every:
        raise Problem(latest_checkpoint + 1, "checkpoint missing", "records %d..%d are not covered by any checkpoint, though the store signs one at least every %d records: newer checkpoints were deleted" % (latest_checkpoint + 1, last, every))


def is_consistent(old_size, old_root, new_size, new_root, proof):
    """RFC 9162 section 2.1.4.2: does `proof` show the old tree to be a prefix of the new one?"""
    if old_size < 0 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path = [old_root] + path
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def verify_consistency(proof, public_key, kept_root=None):
    """Checks `airlock audit consistency` output: the path, the old root kept, the signature."""
    if proof.get("format") != "airlock-audit-consistency-proof/v1":
        raise Problem(0, "malformed", "not an Airlock consistency proof")
    c = proof["checkpoint"]
    old_root = bytes.fromhex(proof["old_root"])
    if kept_root is not None and kept_root != old_root:
        raise Problem(proof["old_size"], "checkpoint mismatch", "the proof starts from root %s, not from the root kept, %s" % (old_root.hex(), kept_root.hex()))
    path = [bytes.fromhex(h) for h in proof["consistency_path"]]
    if not is_consistent(proof["old_size"], old_root, c["tree_size"], bytes.fromhex(c["root"]), path):
        raise Problem(proof["old_size"], "checkpoint mismatch", "the path does not show the tree of %d records to be a prefix of the tree of %d" % (proof["old_size"], c["tree_size"]))
    check_signature, why = signature_checker(public_key)
    if check_signature is not None:
        check_checkpoint_signature(c, public_key, check_signature, "the proof's checkpoint")
    summary = "OK: the log of %d records is a prefix of the log of %d records signed at %s" % (proof["old_size"], c["tree_size"], rfc3339(c["time_us"]))
    notes = [] if check_signature is not None else ["the checkpoint's signature not checked: " + why]
    if kept_root is None:
        notes.append("no --old-root given: compare old_root %s with the root you kept" % old_root.hex())
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
    assert rfc3339(1764000000250000) == "2025-11-24T16:00:00.250000Z"
    # Certificate Transparency's reference consistency proofs over its eight test leaves.
    leaves = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58)), bytes(range(0x60, 0x70))]
    roots = {}
    ct = Frontier()
    for leaf in leaves:
        ct.append(hashlib.sha256(b"\x00" + leaf).digest())
        roots[ct.size] = ct.root()
    vectors = [
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]
    for old, new, proof in vectors:
        path = [bytes.fromhex(h) for h in proof]
        assert is_consistent(old, roots[old], new, roots[new], path), (old, new)
        assert not is_consistent(old, roots[old], new, roots[new - 1], path), (old, new)
        assert not is_consistent(old, roots[old], new, roots[new], path[:-1]), (old, new)
    return "self-test OK: record hashes, Merkle root and consistency proofs match docs/audit.md and RFC 6962's vectors"


def main():
    parser = argparse.ArgumentParser(description="Re-verify an Airlock audit log export (JSON lines).")
    parser.add_argument("export", nargs="?", help="the export file, or - for standard input")
    parser.add_argument("--public-key", help="the checkpoint key: 64 hex digits, base64, or @FILE")
    parser.add_argument("--witness", help="the audit witness file (audit.witness): the export must hold every checkpoint it witnessed")
    parser.add_argument("--consistency", metavar="PROOF", help="check a proof printed by `airlock audit consistency` instead of an export")
    parser.add_argument("--old-root", help="with --consistency: the older tree's root you kept (64 hex digits)")
    parser.add_argument("--self-test", action="store_true", help="check the documented test vectors")
    args = parser.parse_args()
    if args.self_test:
        print(self_test())
        return 0
    try:
        # Given but empty is a bad key, not none: `--public-key "$(airlock audit key …)"` whose
        # inner command printed nothing must not turn the signature checks off.
        public_key = parse_public_key(args.public_key) if args.public_key is not None else None
        if args.old_root is not None and len(args.old_root.strip()) != 64:
            raise ValueError("--old-root")
        kept_root = bytes.fromhex(args.old_root) if args.old_root is not None else None
        witness = read_witness(args.witness) if args.witness is not None else None
    except BadUsage as error:
        print("verify_audit.py: %s" % error, file=sys.stderr)
        return 2
    except UnicodeDecodeError as error:
        print("verify_audit.py: a file given is not UTF-8 text: %s" % error, file=sys.stderr)
        return 2
    except ValueError:
        print("verify_audit.py: --old-root takes 64 hex digits", file=sys.stderr)
        return 2
    except OSError as error:
        print("verify_audit.py: cannot read the witness %s: %s" % (args.witness, error.strerror), file=sys.stderr)
        return 2
    if args.consistency:
        try:
            with open(args.consistency, encoding="utf-8") as f:
                print(verify_consistency(json.load(f), public_key, kept_root))
            return 0
        except Problem as problem:
            print("FAIL %s" % problem)
            return 1
        except (KeyError, ValueError, TypeError) as error:
            print("FAIL malformed proof: %r" % (error,))
            return 1
    if args.export is None:
        parser.error("give an export file (or - for standard input)")
    stream = sys.stdin if args.export == "-" else open(args.export, encoding="utf-8")
    try:
        print(verify(stream, public_key, witness))
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
