import Foundation

/// Where a verifier reads records from: any ordered, repeatable stream of rows.
protocol AuditRowSource {
    /// Hands each record to `visitor` in `seq` order until it returns false.
    func forEachRow<Visitor: AuditRowVisitor>(_ visitor: inout Visitor) throws
}

/// What consumes a stream of rows. (A generic `inout` visitor rather than a closure, so that the
/// per-row state needs no dynamic exclusivity checks.)
protocol AuditRowVisitor {
    /// Takes one row; returns false to stop.
    mutating func visit(_ row: AuditRowView) -> Bool
}

/// The end of the log as the store's own marker says, kept beside the log to notice truncation
/// and appends that bypassed the store (an attacker can edit it too: checkpoints are the real
/// guarantee).
struct AuditHeadMarker: Sendable, Hashable {
    var size: Int64
    var checkpointSize: Int64
}

/// Verifies a whole audit log in one streaming pass: each record's hash, the chain of
/// `prev_hash`, the Merkle root at every checkpoint's size, and every checkpoint's signature.
///
/// The pass allocates nothing per record and computes the tree with a ``MerkleFrontier``. Only
/// when it finds a break does a second pass (``AuditDiagnosis``) work out what kind of tampering
/// explains it.
struct AuditVerifier {
    var checkpoints: [AuditCheckpoint]
    var publicKey: AuditPublicKey
    var head: AuditHeadMarker?
    /// How many records the store lets go unsigned at most (its `checkpoint_every`), when it signs:
    /// a longer unsigned tail means the newest checkpoints were deleted, which would otherwise
    /// leave everything after the oldest one kept open to rewriting.
    var checkpointEvery: Int?
    /// Whether the log comes with a head marker (a store's does; a bare export does not).
    var headRequired = false
    /// The checkpoints a witness outside the log holds (``AuditWitness``), and where it is: the
    /// log must still contain each of their trees.
    var witness: (contents: AuditWitness.Contents, path: String)?
    /// Hash records on this thread and check the chain and tree on another (two cores).
    var pipelined = ProcessInfo.processInfo.activeProcessorCount > 1

    func verify(_ source: some AuditRowSource) throws -> AuditVerificationReport {
        let checkpoints = checkpoints.sorted { $0.treeSize < $1.treeSize }
        var problems: [AuditProblem] = []

        // Signatures do not depend on the records.
        let keyID = publicKey.keyID
        var validSignature = Set<Int64>()
        var previousSize: Int64 = 0
        for checkpoint in checkpoints {
            if checkpoint.hasValidSignature(for: publicKey) {
                validSignature.insert(checkpoint.treeSize)
            } else {
                let why =
                    checkpoint.keyID == keyID
                    ? "its size, root or time was changed after signing"
                    : "it names key \(checkpoint.keyID), not \(keyID)"
                problems.append(
                    AuditProblem(
                        .signatureMismatch, seq: previousSize + 1,
                        "the checkpoint at tree size \(checkpoint.treeSize) does not verify under key \(keyID) "
                            + "(\(why)); records \(previousSize + 1)…\(checkpoint.treeSize) are not covered by a "
                            + "valid signature"))
            }
            previousSize = checkpoint.treeSize
        }

        // One streaming pass over the records.
        let witnessed = witnessedCheckpoints(publicKey: publicKey, problems: &problems)
        let stream = try ChainStage.run(
            over: source, sizes: checkpoints.map(\.treeSize) + witnessed.map(\.treeSize), pipelined: pipelined)
        var signedSize: Int64 = 0
        var lastGoodCheckpoint: Int64 = 0
        var reportedMismatch = false
        for checkpoint in checkpoints where validSignature.contains(checkpoint.treeSize) {
            guard let root = stream.rootsAtSizes[checkpoint.treeSize] else { continue }
            if root == checkpoint.root {
                signedSize = checkpoint.treeSize
                lastGoodCheckpoint = checkpoint.treeSize
            } else if !reportedMismatch {
                reportedMismatch = true
                problems.append(
                    AuditProblem(
                        .checkpointMismatch, seq: lastGoodCheckpoint + 1,
                        "records 1…\(checkpoint.treeSize) no longer hash to the root signed at tree size "
                            + "\(checkpoint.treeSize): the chain was recomputed after a change somewhere in seq "
                            + "\(lastGoodCheckpoint + 1)…\(checkpoint.treeSize)"))
            }
        }
        if let timeGoesBackAt = stream.timeGoesBackAt {
            problems.append(
                AuditProblem(
                    .edited, seq: timeGoesBackAt,
                    "its time is earlier than the record before it, which the store never writes (a time was "
                        + "changed and the chain recomputed)"))
        }
        if let witness {
            problems += Self.compare(
                witnessed, path: witness.path, with: checkpoints, stream: stream, reportedMismatch: reportedMismatch)
        }

        if let breakSeq = stream.breakSeq {
            var diagnosis = AuditDiagnosis(breakSeq: breakSeq)
            try diagnosis.collect(from: source)
            problems.append(diagnosis.problem())
        } else {
            let count = stream.count
            if let beyond = checkpoints.last(where: { $0.treeSize > count && validSignature.contains($0.treeSize) }) {
                problems.append(
                    AuditProblem(
                        .truncated, seq: count + 1,
                        "the log ends at seq \(count), but a checkpoint signed \(beyond.treeSize) records"))
            } else if let head, head.size > count {
                problems.append(
                    AuditProblem(
                        .truncated, seq: count + 1,
                        "the log ends at seq \(count), but the store's head marker says \(head.size) records "
                            + "were written (records after the last checkpoint are protected by this marker only)"))
            } else if let head, head.size < count {
                problems.append(
                    AuditProblem(
                        .inserted, seq: head.size + 1,
                        "records \(head.size + 1)…\(count) were not written by the store (its head marker says "
                            + "the log ends at seq \(head.size))"))
            }
        }
        let lastCheckpoint = checkpoints.last(where: { $0.treeSize <= stream.count })?.treeSize ?? 0
        if let every = checkpointEvery, every > 0, stream.count - lastCheckpoint >= Int64(every) {
            problems.append(
                AuditProblem(
                    .checkpointMissing, seq: lastCheckpoint + 1,
                    "records \(lastCheckpoint + 1)…\(stream.count) are not covered by any checkpoint, though the store "
                        + "signs one at least every \(every) records: newer checkpoints were deleted (or checkpoint_every "
                        + "was lowered since the last write)"))
        }
        if headRequired, head == nil, stream.count > 0 {
            problems.append(
                AuditProblem(
                    .checkpointMissing, seq: 1,
                    "the store's head marker (audit_head) is missing: the store writes it with every record"))
        }
        if let head, head.checkpointSize > 0, !checkpoints.contains(where: { $0.treeSize == head.checkpointSize }) {
            let covered = checkpoints.last(where: { $0.treeSize < head.checkpointSize })?.treeSize ?? 0
            problems.append(
                AuditProblem(
                    .checkpointMissing, seq: covered + 1,
                    "the checkpoint the store signed at tree size \(head.checkpointSize) is gone"))
        }

        problems.sort { ($0.seq, $0.kind.rawValue) < ($1.seq, $1.kind.rawValue) }
        return AuditVerificationReport(
            recordCount: stream.count, checkpointCount: checkpoints.count, validSignatures: validSignature.count,
            root: stream.frontier.root, signedSize: signedSize, problems: problems)
    }

    /// The witness's checkpoints that verify under the key; a problem for each that does not, and
    /// for a witness file that is missing while the log holds checkpoints.
    private func witnessedCheckpoints(
        publicKey: AuditPublicKey, problems: inout [AuditProblem]
    ) -> [AuditCheckpoint] {
        guard let witness else { return [] }
        if !witness.contents.exists, !checkpoints.isEmpty {
            problems.append(
                AuditProblem(
                    .checkpointMissing, seq: 1,
                    "the audit witness \(witness.path) does not exist, though the log holds \(checkpoints.count) "
                        + "signed checkpoint(s) the store appends to it"))
        }
        var valid: [AuditCheckpoint] = []
        for checkpoint in witness.contents.checkpoints {
            if checkpoint.hasValidSignature(for: publicKey) {
                valid.append(checkpoint)
            } else {
                problems.append(
                    AuditProblem(
                        .signatureMismatch, seq: checkpoint.treeSize,
                        "the witness \(witness.path) holds a checkpoint at tree size \(checkpoint.treeSize) that does "
                            + "not verify under key \(publicKey.keyID)"))
            }
        }
        return valid
    }

    /// Each witnessed tree must still be a prefix of the log: its size within the log, the root
    /// of that many records its root (what an RFC 6962 consistency proof from it to the current
    /// tree shows; here the records are at hand), and the log's own checkpoint still there.
    private static func compare(
        _ witnessed: [AuditCheckpoint], path: String, with checkpoints: [AuditCheckpoint], stream: ChainStage,
        reportedMismatch: Bool
    ) -> [AuditProblem] {
        var problems: [AuditProblem] = []
        let inLog = Set(checkpoints.map(\.treeSize))
        let count = stream.count
        if stream.breakSeq == nil,
            let beyond = witnessed.filter({ $0.treeSize > count }).max(by: { $0.treeSize < $1.treeSize })
        {
            problems.append(
                AuditProblem(
                    .truncated, seq: count + 1,
                    "the log ends at seq \(count), but the witness \(path) holds a checkpoint over "
                        + "\(beyond.treeSize) records signed at \(AuditTime.rfc3339(micros: beyond.timeMicros))"))
        }
        var mismatchReported = reportedMismatch
        for checkpoint in witnessed.sorted(by: { $0.treeSize < $1.treeSize }) where checkpoint.treeSize <= count {
            if stream.rootsAtSizes[checkpoint.treeSize] != checkpoint.root {
                if !mismatchReported {
                    mismatchReported = true
                    problems.append(
                        AuditProblem(
                            .checkpointMismatch, seq: 1,
                            "records 1…\(checkpoint.treeSize) no longer hash to the root the witness \(path) holds "
                                + "for tree size \(checkpoint.treeSize) (signed at "
                                + "\(AuditTime.rfc3339(micros: checkpoint.timeMicros))): the log is not an extension "
                                + "of the tree it witnessed"))
                }
            } else if !inLog.contains(checkpoint.treeSize) {
                problems.append(
                    AuditProblem(
                        .checkpointMissing, seq: checkpoint.treeSize,
                        "the witness \(path) holds a checkpoint at tree size \(checkpoint.treeSize) signed at "
                            + "\(AuditTime.rfc3339(micros: checkpoint.timeMicros)) that the log no longer has"))
            }
        }
        return problems
    }
}
