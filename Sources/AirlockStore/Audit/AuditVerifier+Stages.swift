import Foundation

/// A record reduced to what the chain and the tree need: its hash was already checked against
/// its content.
struct HashedRow: Sendable {
    var seq: Int64
    var previousHash: AuditHash?
    var hash: AuditHash?
    var timeMicros: Int64
    var contentMatchesHash: Bool
}

/// The first stage of verification: re-hash each record's content (the costly part) and compare
/// it with the stored hash.
struct RecordHashStage {
    private var encoder = AuditRecordEncoder()

    mutating func hash(_ row: AuditRowView) -> HashedRow {
        let stored = AuditHash(bytes: row.hash)
        let previous = AuditHash(bytes: row.previousHash)
        var matches = false
        if let stored, previous != nil {
            matches =
                encoder.hash(
                    seq: row.seq, timeMicros: row.timeMicros, kind: row.kind, mutationID: row.mutationID,
                    actor: row.actor, policyVersion: row.policyVersion, payload: row.payload,
                    previousHash: row.previousHash) == stored
        }
        return HashedRow(
            seq: row.seq, previousHash: previous, hash: stored, timeMicros: row.timeMicros, contentMatchesHash: matches)
    }
}

/// The second stage: the chain of `prev_hash`, gap-free `seq`, the Merkle frontier, and the root
/// at each size asked for (the checkpoints' and the witness's). Stops at the first record that
/// does not continue the chain; notes the first record whose time is before the one before it.
struct ChainStage: Sendable {
    /// The tree sizes whose roots are wanted, ascending.
    let sizes: [Int64]
    private var nextSize = 0
    private(set) var rootsAtSizes: [Int64: AuditHash] = [:]
    private(set) var frontier = MerkleFrontier()
    private var previous = AuditHash.zero
    private var previousTime = Int64.min
    private(set) var count: Int64 = 0
    private(set) var breakSeq: Int64?
    /// The first record whose time is earlier than its predecessor's (the store never writes one).
    private(set) var timeGoesBackAt: Int64?

    init(sizes: [Int64]) {
        self.sizes = Array(Set(sizes.filter { $0 > 0 })).sorted()
    }

    /// Takes the next row; false at a break.
    mutating func take(_ row: HashedRow) -> Bool {
        let expected = count + 1
        guard row.seq == expected, row.contentMatchesHash, row.previousHash == previous, let hash = row.hash else {
            breakSeq = expected
            return false
        }
        frontier.append(recordHash: hash)
        previous = hash
        if row.timeMicros < previousTime, timeGoesBackAt == nil {
            timeGoesBackAt = expected
        }
        previousTime = row.timeMicros
        count = expected
        if nextSize < sizes.count && sizes[nextSize] == count {
            rootsAtSizes[count] = frontier.root
            nextSize += 1
        }
        return true
    }

    /// Runs both stages over a source: in one thread, or pipelined over two (this one reads and
    /// hashes; a second one checks the chain and grows the tree).
    static func run(
        over source: some AuditRowSource, sizes: [Int64], pipelined: Bool
    ) throws -> ChainStage {
        guard pipelined else {
            var visitor = Sequential(chain: ChainStage(sizes: sizes))
            try source.forEachRow(&visitor)
            return visitor.chain
        }
        let pipe = BatchPipe()
        let worker = Thread { [sizes] in
            var chain = ChainStage(sizes: sizes)
            while let batch = pipe.receive() {
                for row in batch where !chain.take(row) {
                    pipe.stop()
                    break
                }
                if chain.breakSeq != nil { break }
            }
            pipe.finish(chain)
        }
        worker.start()
        var visitor = Producer(pipe: pipe)
        do {
            try source.forEachRow(&visitor)
            visitor.flush()
        } catch {
            pipe.close()
            _ = pipe.result()
            throw error
        }
        pipe.close()
        return pipe.result()
    }

    private struct Sequential: AuditRowVisitor {
        var hasher = RecordHashStage()
        var chain: ChainStage

        mutating func visit(_ row: AuditRowView) -> Bool {
            chain.take(hasher.hash(row))
        }
    }

    private struct Producer: AuditRowVisitor {
        static let batchSize = 4096
        let pipe: BatchPipe
        var hasher = RecordHashStage()
        var batch: [HashedRow] = []

        init(pipe: BatchPipe) {
            self.pipe = pipe
            batch.reserveCapacity(Self.batchSize)
        }

        mutating func visit(_ row: AuditRowView) -> Bool {
            batch.append(hasher.hash(row))
            guard batch.count == Self.batchSize else { return true }
            return flush()
        }

        @discardableResult
        mutating func flush() -> Bool {
            guard !batch.isEmpty else { return !pipe.isStopped }
            let proceed = pipe.send(batch)
            batch.removeAll(keepingCapacity: true)
            return proceed
        }
    }
}

/// A bounded hand-off of row batches from the hashing thread to the chain thread, and of the
/// chain's result back.
private final class BatchPipe: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [[HashedRow]] = []
    private var closed = false
    private var stopped = false
    private var outcome: ChainStage?
    private static let capacity = 4

    /// Queues a batch, waiting while the queue is full; false once the consumer stopped.
    func send(_ batch: [HashedRow]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= Self.capacity && !stopped {
            condition.wait()
        }
        guard !stopped else { return false }
        batches.append(batch)
        condition.broadcast()
        return true
    }

    /// The next batch, or nil once closed and drained (or stopped).
    func receive() -> [HashedRow]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !closed && !stopped {
            condition.wait()
        }
        guard !stopped, !batches.isEmpty else { return nil }
        let batch = batches.removeFirst()
        condition.broadcast()
        return batch
    }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    func stop() {
        condition.lock()
        stopped = true
        batches.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func finish(_ chain: ChainStage) {
        condition.lock()
        outcome = chain
        condition.broadcast()
        condition.unlock()
    }

    func result() -> ChainStage {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil {
            condition.wait()
        }
        return outcome!
    }
}
