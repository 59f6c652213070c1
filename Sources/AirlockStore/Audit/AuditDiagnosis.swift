/// Names the tampering behind a break in the chain, with a second pass over the log.
///
/// The fast pass knows only that the record at `breakSeq` does not continue the chain. Here the
/// whole log's `seq`, `prev_hash` and `hash` columns are read, and the record at the break (and the
/// one after it) is re-hashed under other sequence numbers to find where it was first written.
/// From that:
///
/// - a jump in `seq` → **deleted**;
/// - content that hashes to its stored hash under no nearby `seq`, while the next record links to
///   the previous one → **inserted**; otherwise → **edited**;
/// - a record written as a later `seq`, while the record that belongs here sits elsewhere →
///   **reordered**; when it is nowhere → **deleted** (and the rest renumbered);
/// - a record written as an earlier `seq` → **inserted** (records were pushed down);
/// - an intact record whose `prev_hash` names no record → the previous record was **edited** and
///   its hash recomputed.
struct AuditDiagnosis {
    let breakSeq: Int64
    private var seqs: [Int64] = []
    private var previous: [AuditHash?] = []
    private var hashes: [AuditHash?] = []
    private var nearby: [Int: OwnedRow] = [:]
    private var indexOfHash: [AuditHash: Int] = [:]

    /// How far from its stored `seq` a record's original `seq` is searched.
    static let searchDistance: Int64 = 1024

    init(breakSeq: Int64) {
        self.breakSeq = breakSeq
    }

    private struct Collector: AuditRowVisitor {
        let breakIndex: Int
        var index = 0
        var seqs: [Int64] = []
        var previous: [AuditHash?] = []
        var hashes: [AuditHash?] = []
        var nearby: [Int: OwnedRow] = [:]

        mutating func visit(_ row: AuditRowView) -> Bool {
            seqs.append(row.seq)
            previous.append(AuditHash(bytes: row.previousHash))
            hashes.append(AuditHash(bytes: row.hash))
            if index == breakIndex || index == breakIndex + 1 {
                nearby[index] = OwnedRow(row)
            }
            index += 1
            return true
        }
    }

    mutating func collect(from source: some AuditRowSource) throws {
        var collector = Collector(breakIndex: Int(breakSeq - 1))
        try source.forEachRow(&collector)
        seqs = collector.seqs
        previous = collector.previous
        hashes = collector.hashes
        nearby = collector.nearby
        for (index, hash) in hashes.enumerated() {
            if let hash, indexOfHash[hash] == nil {
                indexOfHash[hash] = index
            }
        }
    }

    func problem() -> AuditProblem {
        let i = Int(breakSeq - 1)
        let expected = breakSeq
        guard i < seqs.count else {
            return AuditProblem(.malformed, seq: expected, "the log changed while it was being verified")
        }
        if seqs[i] != expected {
            let last = seqs[i] - 1
            return AuditProblem(
                .deleted, seq: expected,
                last == expected
                    ? "record \(expected) is missing (seq jumps from \(expected - 1) to \(seqs[i]))"
                    : "records \(expected)…\(last) are missing (seq jumps from \(expected - 1) to \(seqs[i]))")
        }
        guard hashes[i] != nil, let previousHash = previous[i] else {
            return AuditProblem(.malformed, seq: expected, "its hash or prev_hash is not 32 bytes")
        }
        let lastGood = i == 0 ? AuditHash.zero : hashes[i - 1]!
        let successor = previous.indices.first { $0 != i && previous[$0] == lastGood }

        switch originalSeq(ofIndex: i) {
        case nil:
            if i + 1 < seqs.count, previous[i + 1] == lastGood || originalSeq(ofIndex: i + 1) == expected {
                return AuditProblem(
                    .inserted, seq: expected,
                    "seq \(expected) is not part of the chain: seq \(expected + 1) follows seq \(expected - 1)")
            }
            return AuditProblem(
                .edited, seq: expected,
                "its content no longer matches its hash (a field was changed after it was written)")
        case expected:
            if let q = indexOfHash[previousHash] {
                if q > i {
                    return AuditProblem(
                        .reordered, seq: expected,
                        "it follows the record now at seq \(seqs[q]), which comes after it")
                }
                return AuditProblem(
                    .inserted, seq: Int64(q) + 2,
                    "records \(q + 2)…\(expected - 1) do not belong to the chain: seq \(expected) follows seq \(q + 1)")
            }
            if let successor, successor > i {
                return AuditProblem(
                    .reordered, seq: expected,
                    "the record written after seq \(expected - 1) is now at seq \(seqs[successor])")
            }
            return AuditProblem(
                .edited, seq: expected - 1,
                "seq \(expected - 1) was changed and its hash recomputed: seq \(expected) still names its original hash"
            )
        case let original? where original > expected:
            if let successor {
                return AuditProblem(
                    .reordered, seq: expected,
                    "it holds the record written as seq \(original); the record written as seq \(expected) is now at "
                        + "seq \(seqs[successor])")
            }
            return AuditProblem(
                .deleted, seq: expected,
                "records \(expected)…\(original - 1) were deleted and the later records renumbered (seq \(expected) "
                    + "holds the record written as seq \(original))")
        case let original?:
            return AuditProblem(
                .inserted, seq: original,
                "records \(original)…\(expected - 1) were inserted: the record written as seq \(original) now sits at "
                    + "seq \(expected)")
        }
    }

    /// The `seq` under which the record at `index` hashes to its stored hash, searched near its
    /// stored `seq`; `nil` when its content was changed.
    private func originalSeq(ofIndex index: Int) -> Int64? {
        guard let row = nearby[index], let stored = hashes[index] else { return nil }
        let seq = seqs[index]
        if row.hash(asSeq: seq) == stored { return seq }
        for distance in 1...Self.searchDistance {
            if row.hash(asSeq: seq + distance) == stored { return seq + distance }
            if seq - distance >= 1, row.hash(asSeq: seq - distance) == stored { return seq - distance }
        }
        return nil
    }

    /// A row's bytes, copied out of the database.
    private struct OwnedRow {
        var timeMicros: Int64
        var kind: [UInt8]
        var mutationID: [UInt8]?
        var actor: [UInt8]
        var policyVersion: [UInt8]?
        var payload: [UInt8]
        var previousHash: [UInt8]

        init(_ row: AuditRowView) {
            timeMicros = row.timeMicros
            kind = Array(row.kind)
            mutationID = row.mutationID.map { Array($0) }
            actor = Array(row.actor)
            policyVersion = row.policyVersion.map { Array($0) }
            payload = Array(row.payload)
            previousHash = Array(row.previousHash)
        }

        func hash(asSeq seq: Int64) -> AuditHash {
            var encoder = AuditRecordEncoder()
            return kind.withUnsafeBytes { kind in
                withOptional(mutationID) { mutationID in
                    actor.withUnsafeBytes { actor in
                        withOptional(policyVersion) { policyVersion in
                            payload.withUnsafeBytes { payload in
                                previousHash.withUnsafeBytes { previousHash in
                                    encoder.hash(
                                        seq: seq, timeMicros: timeMicros, kind: kind, mutationID: mutationID,
                                        actor: actor, policyVersion: policyVersion, payload: payload,
                                        previousHash: previousHash)
                                }
                            }
                        }
                    }
                }
            }
        }

        private func withOptional<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
            guard let bytes else { return body(nil) }
            return bytes.withUnsafeBytes { body($0) }
        }
    }
}
