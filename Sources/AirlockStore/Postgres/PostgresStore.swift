import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The store on PostgreSQL, for several gateway instances sharing one database.
///
/// Writes go through a group commit (``GroupCommitWriter``, as on SQLite): the changes that arrive
/// while a transaction is in flight share the next one. Every such transaction writes the audit
/// head row, the one point where writers from every instance take their turn: either it locks
/// the row first (`SELECT … FOR UPDATE`), or it starts from the head this instance last wrote
/// and its final statement fails if another writer moved it meanwhile (see
/// ``run(_:on:configuration:head:logger:)``). So the audit log stays one chain and each change
/// reads the state it changes from what the last committed writer left (a mutation moves only
/// from the status it is in; a vote counts only once). `apply` returns once the transaction is
/// committed, and PostgreSQL's commit is durable (`synchronous_commit` on). A refused change
/// rolls back whole: nothing of it is written, and the other changes of its batch stand.
///
/// The connection pool is postgres-nio's `PostgresClient`, run by the store itself.
public final class PostgresStore: Store {
    /// How this store behaves.
    public struct Configuration: Sendable {
        public var checkpointEvery: Int
        public var checkpointInterval: TimeInterval
        public var signingKey: AuditSigningKey?
        public var now: @Sendable () -> Date
        /// Connections the pool keeps at most.
        public var maximumConnections: Int
        /// Apply the migrations a database lacks when opening it (tests and `airlock migrate`);
        /// otherwise such a database is refused.
        public var migrate: Bool
        /// Seconds to wait for a first connection before opening fails.
        public var connectTimeout: Double = 30
        /// The most changes one group commit takes.
        public var maximumBatchSize = 512
        /// After another instance's commit moved the audit head under a batch, how long this
        /// instance's batches lock the head before anything (rather than start from the head
        /// they know and be tried again when it moved).
        public var lockFirstAfterContention: Duration = .seconds(1)
        /// The file (this instance's, outside the state directory) that every checkpoint this
        /// instance signs is appended to before its commit is acknowledged, and that verification
        /// checks the log against.
        public var witness: AuditWitness?
        /// How many audit records verification holds at a time (a page read on one connection).
        var verificationPageSize = 10_000
        /// Tests only: a fault to make at the commit point of a batch (asked once per batch).
        var commitFault: (@Sendable () -> CommitFault?)?

        public init(
            signingKey: AuditSigningKey?, checkpointEvery: Int = 1000, checkpointInterval: TimeInterval = 60,
            now: @escaping @Sendable () -> Date = { Date() }, maximumConnections: Int = 20, migrate: Bool = false,
            witness: AuditWitness? = nil
        ) {
            self.signingKey = signingKey
            self.witness = witness
            self.checkpointEvery = checkpointEvery
            self.checkpointInterval = checkpointInterval
            self.now = now
            self.maximumConnections = maximumConnections
            self.migrate = migrate
        }
    }

    public let configuration: Configuration
    /// The schema version the database was at when this store opened it (before any migration).
    public let schemaVersionFound: Int
    /// The schema version this build writes.
    public static var schemaVersion: Int { PostgresSchema.version }
    /// The database as people should read it (the URL without its password).
    public let describe: String
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>
    private let loops: MultiThreadedEventLoopGroup
    private let commits: GroupCommitWriter<WriteJob, StoreReceipt>

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`, or
    /// `postgres://user@/database?host=/socket/dir` for a Unix socket), and checks (or, with
    /// `configuration.migrate`, brings up to date) its schema.
    public init(url: String, configuration: Configuration, logger: Logger = Logger(label: "airlock.postgres")) async throws {
        let (clientConfiguration, describe) = try Self.clientConfiguration(url: url, maximumConnections: configuration.maximumConnections)
        self.configuration = configuration
        self.describe = describe
        self.logger = logger
        // The store's own event loop: the group commit runs on it (``EventLoopBound``), so its
        // round trips do not queue behind the HTTP server's connections, as SQLite's writer has
        // its own thread.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.loops = loops
        let failures = ConnectFailureRecorder()
        let client = PostgresClient(
            configuration: clientConfiguration, eventLoopGroup: loops, backgroundLogger: failures.logger(wrapping: logger))
        self.client = client
        running = Task { await client.run() }
        let head = HeadCache(lockingPeriod: configuration.lockFirstAfterContention)
        commits = GroupCommitWriter(maximumBatchSize: configuration.maximumBatchSize) { [client, logger, describe] jobs in
            do {
                return try await client.withConnection { connection in
                    try await EventLoopBound(connection.eventLoop).run { _ in
                        try await Self.run(jobs, on: connection, configuration: configuration, head: head, describe: describe, logger: logger)
                    }
                }
            } catch let unknown as CommitOutcomeUnknown {
                // The connection failed at the commit point: whether the batch committed, the
                // database says. Either way the next batch reads the head again.
                head.forget()
                if await Self.didCommit(unknown, client: client, logger: logger) {
                    logger.notice(
                        "the answer to a group commit was lost, but it had committed",
                        metadata: ["error": "\(String(reflecting: unknown.underlying))"])
                    if let checkpoint = unknown.checkpoint, let witness = configuration.witness {
                        try witness.append(checkpoint)
                    }
                    return unknown.results
                }
                throw Self.storeError(unknown.underlying, describe: describe)
            } catch {
                // Whatever the database holds now, the next batch reads the head again.
                head.forget()
                throw Self.storeError(error, describe: describe)
            }
        }
        do {
            // The pool keeps trying to connect: a database that cannot be reached is an error
            // after a while, not a start that hangs.
            // (Not a task group: leaving one waits for every child, and a pool still trying to
            // connect answers its waiter only after its own timeout.)
            let timeout = configuration.connectTimeout
            schemaVersionFound = try await Self.first(
                within: timeout,
                else: { @Sendable in
                    StoreError(
                        .unavailable,
                        "PostgreSQL \(describe) could not be reached within \(Int(timeout)) s"
                            + (failures.lastFailure.map { " (the last attempt: \($0))" } ?? "")
                            + ": is the server running, does the URL name its host, port, user and database, and "
                            + "does its sslmode suit the server?")
                }
            ) {
                try await client.withConnection { connection in
                    try await PostgresSchema.prepare(connection, logger: logger, migrate: configuration.migrate, describe: describe)
                }
            }
        } catch {
            running.cancel()
            // The pool may be between two tries to connect: its event loop goes when it has
            // stopped, without holding up this answer.
            Task { [running] in
                await running.value
                try? await loops.shutdownGracefully()
            }
            throw Self.storeError(error, describe: describe)
        }
    }

    /// `body`'s result, or `timeoutError` once `seconds` have passed, whichever comes first;
    /// `body` is cancelled then, and not waited for.
    static func first<T: Sendable>(
        within seconds: Double, else timeoutError: @escaping @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let waiter = OnceContinuation<T>()
        return try await withCheckedThrowingContinuation { continuation in
            waiter.set(continuation)
            let work = Task {
                do { waiter.resume(with: .success(try await body())) } catch { waiter.resume(with: .failure(error)) }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                if waiter.resume(with: .failure(timeoutError())) { work.cancel() }
            }
        }
    }

    public func close() async throws {
        running.cancel()
        await running.value
        try await loops.shutdownGracefully()
    }

    // MARK: Writing

    /// What the group commit runs.
    enum WriteJob: Sendable {
        case change(StoreChange)
        /// Sign a checkpoint when one is due, or (`force`) now.
        case checkpoint(force: Bool)
    }

    public func apply(_ change: StoreChange) async throws -> StoreReceipt {
        if change.isEmpty {
            return StoreReceipt(auditRecords: [], checkpoint: nil)
        }
        return try await commits.submit(.change(change))
    }

    /// Merges into the stored signal history under a lock of its row only (not the audit head:
    /// this is no change of state the log records).
    public func mergeSignalState(key: String, at time: Date, _ merge: @Sendable (Data?) throws -> Data) async throws -> Data {
        do {
            return try await client.withConnection { connection in
                // Two instances merging a key neither has stored: one insert wins, the other
                // starts again and merges into it.
                while true {
                    try await connection.run("BEGIN", logger: logger)
                    do {
                        let stored = try await connection.run(
                            "SELECT blob FROM signal_state WHERE key = \(key) FOR UPDATE", logger: logger
                        ).first.map { Data(try $0.decode(ByteBuffer.self).readableBytesView) }
                        let written = try merge(stored)
                        let blob = ByteBuffer(bytes: written)
                        let micros = time.microsecondsSince1970
                        let saved: [PostgresRow]
                        if stored == nil {
                            saved = try await connection.run(
                                """
                                INSERT INTO signal_state (key, blob, updated_at) VALUES (\(key), \(blob), \(micros))
                                ON CONFLICT (key) DO NOTHING RETURNING 1
                                """, logger: logger)
                        } else {
                            saved = try await connection.run(
                                "UPDATE signal_state SET blob = \(blob), updated_at = \(micros) WHERE key = \(key) RETURNING 1",
                                logger: logger)
                        }
                        guard saved.count == 1 else {
                            await connection.rollBack(logger: logger)
                            continue
                        }
                        try await connection.run("COMMIT", logger: logger)
                        return written
                    } catch {
                        await connection.rollBack(logger: logger)
                        throw error
                    }
                }
            }
        } catch {
            throw Self.storeError(error, describe: describe)
        }
    }

    public func checkpointIfDue() async throws -> AuditCheckpoint? {
        guard configuration.signingKey != nil else { return nil }
        return try await commits.submit(.checkpoint(force: false)).checkpoint
    }

    public func signCheckpoint() async throws -> AuditCheckpoint? {
        guard configuration.signingKey != nil else {
            throw StoreError(.signingKeyUnavailable, "this store was opened without the audit signing key")
        }
        return try await commits.submit(.checkpoint(force: true)).checkpoint
    }

    /// One group commit on one pooled connection: applies the changes (a refused one failing
    /// alone), then writes in ONE statement everything the changes left in the
    /// ``PostgresWriteBuffer`` with the checkpoint if one is due, the audit head and the notices
    /// to the listening instances (`NOTIFY` is delivered at the commit, and only if it commits),
    /// and commits. Every caller gets its answer after that commit.
    ///
    /// How a batch is tried:
    /// - **Optimistic**, when this instance knows the audit head from its last commit: no lock
    ///   first, no `BEGIN` unless a change needs a statement of its own (see
    ///   ``PostgresWriteSession``); the final statement updates the head only if it is still the
    ///   one known, and fails otherwise. Every write updates the head row, so a batch commits
    ///   only if no other writer committed since the state it read: as if it had held the lock
    ///   throughout. A batch of low-tier submissions is one round trip.
    /// - **Locked**: `BEGIN`, then the head row locked and read (`FOR UPDATE`) before anything.
    ///   Used when this instance does not know the head, after a head that moved under an
    ///   optimistic try, and then for the next batches for a while
    ///   (``Configuration/lockFirstAfterContention``: another instance is writing).
    /// - **Each in its savepoint**: locked, and each change under its own savepoint (two more
    ///   round trips a change) so that a refused one fails alone. Used after a refusal.
    private static nonisolated(nonsending) func run(
        _ jobs: [WriteJob], on connection: PostgresConnection, configuration: Configuration, head: HeadCache, describe: String,
        logger: Logger
    ) async throws -> [Result<StoreReceipt, any Error>] {
        // (No local helper for the three calls: a local async function would leave the event loop.)
        var outcome = try await attempt(
            jobs, mode: head.headForNextBatch().map { .optimistic($0) } ?? .locked, on: connection, configuration: configuration,
            describe: describe, logger: logger)
        if case .retry(headMoved: true) = outcome {
            // Another instance committed first: again, holding the head this time.
            head.headMoved()
            outcome = try await attempt(
                jobs, mode: .locked, on: connection, configuration: configuration, describe: describe, logger: logger)
        }
        if case .retry = outcome {
            // A change was refused: each alone, so that it fails alone.
            outcome = try await attempt(
                jobs, mode: .eachInSavepoint, on: connection, configuration: configuration, describe: describe, logger: logger)
        }
        guard case .committed(let results, let end) = outcome else {
            preconditionFailure("a group commit with a savepoint per change is never retried")
        }
        head.committed(end)
        return results
    }

    /// How ``attempt(_:mode:on:configuration:logger:)`` tries a batch.
    private enum AttemptMode {
        case optimistic(PostgresHead)
        case locked
        case eachInSavepoint
    }

    /// What an attempt came to.
    private enum AttemptOutcome {
        /// Committed, leaving the audit head at `head`.
        case committed([Result<StoreReceipt, any Error>], head: PostgresHead)
        /// Rolled back: a change was refused, or (`headMoved`) another writer committed first.
        case retry(headMoved: Bool)
    }

    /// An optimistic batch found, on opening its transaction, that another writer moved the head.
    struct HeadMoved: Error {}

    /// The connection failed at a batch's commit point (its final statement without a
    /// transaction, or `COMMIT`): it may have committed or not.
    struct CommitOutcomeUnknown: Error {
        /// The answers, had it committed.
        var results: [Result<StoreReceipt, any Error>]
        /// The checkpoint it signed, if any.
        var checkpoint: AuditCheckpoint?
        /// The head, had it committed.
        var end: PostgresHead
        /// Whether it appended audit records (without any, whether it committed cannot be told).
        var appendedRecords: Bool
        var underlying: any Error
    }

    /// A fault a test makes at a batch's commit point (``Configuration/commitFault``).
    enum CommitFault: Sendable {
        /// The connection fails before the commit point is sent: nothing commits.
        case beforeCommit
        /// The commit point runs, and its answer is lost.
        case answerLost
    }

    struct InjectedCommitFault: Error {}

    /// Whether `error` is the server refusing a statement (the transaction is rolled back), not
    /// the connection failing.
    static func isServerRefusal(_ error: any Error) -> Bool {
        (error as? PSQLError)?.code == .server
    }

    /// Whether a batch whose commit point failed committed: its last audit record is in the log,
    /// with its hash, at its position. (A batch without audit records cannot be told, and counts
    /// as not committed: its callers get an error, as before.)
    static func didCommit(_ unknown: CommitOutcomeUnknown, client: PostgresClient, logger: Logger) async -> Bool {
        guard unknown.appendedRecords else { return false }
        let tail = unknown.end.tail
        do {
            return try await client.withConnection { connection in
                try await connection.run("SELECT hash FROM audit_log WHERE seq = \(tail.size)", logger: logger).first
                    .map { row in Self.hash(try row.decode(ByteBuffer.self)) == tail.lastHash } ?? false
            }
        } catch {
            logger.warning(
                "a group commit's answer was lost, and whether it committed could not be read",
                metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    /// Whether `error` is the final statement's refusal of a head that moved.
    static func isHeadMoved(_ error: any Error) -> Bool {
        if error is HeadMoved { return true }
        guard let error = error as? PSQLError, error.serverInfo?[.sqlState] == "22P02" else { return false }
        return error.serverInfo?[.message]?.contains(headMovedMarker) ?? false
    }

    /// The marker of the error the final statement raises when the audit head is not the one an
    /// optimistic batch started from.
    static let headMovedMarker = "airlock: the audit head moved"

    /// One try at a batch. An error is the whole batch's (nothing of it is written); refusals
    /// in the modes without savepoints give `.retry`.
    private static nonisolated(nonsending) func attempt(
        _ jobs: [WriteJob], mode: AttemptMode, on connection: PostgresConnection, configuration: Configuration, describe: String,
        logger: Logger
    ) async throws -> AttemptOutcome {
        let session: PostgresWriteSession
        let startHead: PostgresHead
        if case .optimistic(let known) = mode {
            // A transaction, when a change needs one, locks the head first, as every writer's
            // does (one lock order: no deadlock), and finds out at once if it moved.
            session = PostgresWriteSession(connection: connection, logger: logger) {
                guard try await Self.lockHead(connection, logger: logger).generation == known.generation else { throw HeadMoved() }
            }
            startHead = known
        } else {
            session = PostgresWriteSession(connection: connection, logger: logger)
            do {
                try await session.begin()
                startHead = try await Self.lockHead(connection, logger: logger)
            } catch {
                // Not left in a failed transaction: the connection goes back to the pool.
                await session.rollBack()
                throw error
            }
        }
        do {
            var tail = startHead.tail
            // On the connection's event loop (see ``EventLoopBound``), not the cooperative pool.
            assert(connection.eventLoop.inEventLoop, "a group commit left its connection's event loop")
            let nowMicros = configuration.now().microsecondsSince1970
            var buffer = PostgresWriteBuffer()
            var notices: Set<StoreNotice> = []
            var results: [Result<StoreReceipt, any Error>] = []
            results.reserveCapacity(jobs.count)
            var forceCheckpoint = false
            for job in jobs {
                guard case .change(let change) = job else {
                    if case .checkpoint(force: true) = job { forceCheckpoint = true }
                    results.append(.success(StoreReceipt(auditRecords: [], checkpoint: nil)))
                    continue
                }
                var applier = PostgresChangeApplier(session: session, time: change.time, auditTimeMicros: nowMicros, buffer: buffer)
                guard case .eachInSavepoint = mode else {
                    do {
                        let records = try await applier.apply(change.operations, tail: &tail)
                        buffer = applier.buffer
                        notices.formUnion(applier.notices)
                        results.append(.success(StoreReceipt(auditRecords: records, checkpoint: nil)))
                    } catch {
                        await session.rollBack()
                        return .retry(headMoved: isHeadMoved(error))
                    }
                    continue
                }
                let saved = tail
                try await session.run("SAVEPOINT airlock_change")
                do {
                    let records = try await applier.apply(change.operations, tail: &tail)
                    // Inside the savepoint: a mutation id already taken fails this change only.
                    try await applier.buffer.flushMutations(session)
                    try await session.run("RELEASE SAVEPOINT airlock_change")
                    buffer = applier.buffer
                    notices.formUnion(applier.notices)
                    results.append(.success(StoreReceipt(auditRecords: records, checkpoint: nil)))
                } catch {
                    // A database that refuses writes (disk full, read-only, I/O) fails the whole
                    // batch with the reason, as SQLite's does: it is no refusal of this change.
                    if let state = (error as? PSQLError)?.serverInfo?[.sqlState], Self.unwritable(state) != nil {
                        await session.rollBack()
                        throw Self.storeError(error, describe: describe)
                    }
                    // Undo this change only; the others in the batch stand.
                    try await session.run("ROLLBACK TO SAVEPOINT airlock_change")
                    try await session.run("RELEASE SAVEPOINT airlock_change")
                    tail = saved
                    results.append(.failure(storeError(error, describe: describe)))
                }
            }

            // The final statement: the buffered rows, the checkpoint, the head and the notices.
            var write = CombinedWrite()
            let insertedMutations = buffer.add(to: &write)
            var checkpoint: AuditCheckpoint?
            if let key = configuration.signingKey,
                forceCheckpoint
                    || tail.isCheckpointDue(
                        every: configuration.checkpointEvery,
                        intervalMicros: Int64(configuration.checkpointInterval * 1_000_000), nowMicros: nowMicros),
                let signed = try tail.signCheckpoint(with: key, timeMicros: nowMicros)
            {
                write.add(
                    """
                    INSERT INTO audit_checkpoints (tree_size, root, time_us, key_id, signature)
                    VALUES (\(write.bind(signed.treeSize)), \(write.bind(ByteBuffer(bytes: signed.root.bytes))),
                        \(write.bind(signed.timeMicros)), \(write.bind(signed.keyID)), \(write.bind(ByteBuffer(bytes: signed.signature))))
                    """)
                checkpoint = signed
            }
            let applied = zip(jobs, results).contains { job, result in
                guard case .change = job, case .success = result else { return false }
                return true
            }
            if !applied, checkpoint == nil {
                // Nothing was written (a checkpoint that was not due, or every change refused).
                if case .optimistic = mode, !session.inTransaction { return .committed(results, head: startHead) }
                try await session.commit()
                return .committed(results, head: startHead)
            }
            var columns: [String] = []
            if let insertedMutations {
                // In the statement, so that a batch written without a transaction of its own is
                // not committed with a mutation missing.
                columns.append(
                    "(SELECT CASE WHEN count(*) = \(buffer.pendingMutationCount) THEN 1 "
                        + "ELSE ('\(PostgresWriteBuffer.mutationTakenMarker) (' || count(*) || ')')::int END FROM \(insertedMutations))")
            }
            // Every batch that wrote anything moves the head's generation, so that a writer
            // starting from the head it knew sees any commit since, audited or not.
            if case .optimistic = mode {
                // Only from the head this batch started from; otherwise the statement fails, and
                // nothing of it (nor of its transaction) is written.
                let updated = write.add(
                    """
                    UPDATE audit_head SET \(headAssignments(tail, &write)), generation = generation + 1
                    WHERE id = 1 AND generation = \(write.bind(startHead.generation))
                    RETURNING 1
                    """)
                columns.append(
                    "(SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('\(headMovedMarker) (' || count(*) || ')')::int END FROM \(updated))")
            } else {
                write.add("UPDATE audit_head SET \(headAssignments(tail, &write)), generation = generation + 1 WHERE id = 1")
            }
            let end = PostgresHead(tail: tail, generation: startHead.generation + 1)
            if !notices.isEmpty {
                let payloads = notices.compactMap(Self.payload(of:)).sorted()
                // A plain SELECT runs only when read: the final SELECT reads it.
                let notify = write.add("SELECT pg_notify(\(write.bind(Self.channel)), p) FROM unnest(\(write.bind(payloads))::text[]) AS p")
                columns.append("(SELECT count(*) FROM \(notify))")
            }
            // The commit point is the final statement when no transaction was opened, otherwise
            // COMMIT. When the connection fails there (not the server refusing), the batch may
            // have committed: the caller looks (``CommitOutcomeUnknown``).
            let unknown = { (error: any Error) in
                CommitOutcomeUnknown(
                    results: results.carrying(checkpoint), checkpoint: checkpoint, end: end,
                    appendedRecords: tail.size > startHead.tail.size, underlying: error)
            }
            let fault = configuration.commitFault?()
            if !write.isEmpty {
                let commitsOnItsOwn = !session.inTransaction
                do {
                    if commitsOnItsOwn, fault == .beforeCommit { throw InjectedCommitFault() }
                    _ = try await session.runLast(write.query(selecting: columns))
                    if commitsOnItsOwn, fault == .answerLost { throw InjectedCommitFault() }
                } catch {
                    if commitsOnItsOwn, !isServerRefusal(error) { throw unknown(error) }
                    guard case .eachInSavepoint = mode else {
                        // Say a mutation id already in the database (which change's is found by
                        // applying each alone), or another writer's commit.
                        let headMoved = isHeadMoved(error)
                        logger.debug(
                            "a group commit's final write was refused; applying each change alone",
                            metadata: ["error": "\(String(reflecting: error))", "head_moved": "\(headMoved)"])
                        await session.rollBack()
                        return .retry(headMoved: headMoved)
                    }
                    throw error
                }
            }
            if session.inTransaction {
                do {
                    if fault == .beforeCommit { throw InjectedCommitFault() }
                    try await session.commit()
                    if fault == .answerLost { throw InjectedCommitFault() }
                } catch {
                    if !isServerRefusal(error) { throw unknown(error) }
                    throw error
                }
            }
            if let checkpoint, let witness = configuration.witness {
                // Committed: witnessed before any caller hears of it (a failure here fails them all).
                try witness.append(checkpoint)
            }
            return .committed(results.carrying(checkpoint), head: end)
        } catch {
            await session.rollBack()
            throw error
        }
    }

    /// `size = …, last_hash = …, …`: the head's columns set to `tail`.
    private static func headAssignments(_ tail: AuditTail, _ write: inout CombinedWrite) -> String {
        """
        size = \(write.bind(tail.size)), last_hash = \(write.bind(ByteBuffer(bytes: tail.lastHash.bytes))),
            last_time_us = \(write.bind(tail.lastTimeMicros)), frontier = \(write.bind(ByteBuffer(bytes: tail.frontier.serialized))),
            checkpoint_size = \(write.bind(tail.checkpointSize)), checkpoint_time_us = \(write.bind(tail.checkpointTimeMicros))
        """
    }

    /// Locks the audit head row for this transaction and reads it, with its generation (how
    /// many batches wrote).
    static nonisolated(nonsending) func lockHead(_ connection: PostgresConnection, logger: Logger) async throws -> PostgresHead {
        for try await (size, lastHash, lastTime, frontier, checkpointSize, checkpointTime, generation) in try await connection.query(
            """
            SELECT size, last_hash, last_time_us, frontier, checkpoint_size, checkpoint_time_us, generation
            FROM audit_head WHERE id = 1 FOR UPDATE
            """, logger: logger
        ).decode((Int64, ByteBuffer, Int64, ByteBuffer, Int64, Int64, Int64).self) {
            let tail = try AuditTail(
                size: size, lastHash: lastHash.readableBytesView, lastTimeMicros: lastTime, frontier: frontier.readableBytesView,
                checkpointSize: checkpointSize, checkpointTimeMicros: checkpointTime)
            return PostgresHead(tail: tail, generation: generation)
        }
        throw StoreError(.corrupted, "the audit head row is missing; run `airlock audit verify`")
    }

    /// Locks the audit head row for this transaction and reads it.
    static nonisolated(nonsending) func lockTail(_ connection: PostgresConnection, logger: Logger) async throws -> AuditTail {
        try await readTail(connection, logger: logger, lock: true)
    }

    static nonisolated(nonsending) func readTail(_ connection: PostgresConnection, logger: Logger, lock: Bool) async throws -> AuditTail {
        let query: PostgresQuery =
            lock
            ? "SELECT size, last_hash, last_time_us, frontier, checkpoint_size, checkpoint_time_us FROM audit_head WHERE id = 1 FOR UPDATE"
            : "SELECT size, last_hash, last_time_us, frontier, checkpoint_size, checkpoint_time_us FROM audit_head WHERE id = 1"
        for try await (size, lastHash, lastTime, frontier, checkpointSize, checkpointTime) in try await connection.query(
            query, logger: logger
        ).decode((Int64, ByteBuffer, Int64, ByteBuffer, Int64, Int64).self) {
            return try AuditTail(
                size: size, lastHash: lastHash.readableBytesView, lastTimeMicros: lastTime, frontier: frontier.readableBytesView,
                checkpointSize: checkpointSize, checkpointTimeMicros: checkpointTime)
        }
        throw StoreError(.corrupted, "the audit head row is missing; run `airlock audit verify`")
    }

    // MARK: The change feed

    /// Several instances may write to the database.
    public var isShared: Bool { true }

    /// The channel every instance listens on.
    static let channel = "airlock_changes"

    /// A notice as sent: `m:ID` for a mutation, `s` for the settings.
    static func payload(of notice: StoreNotice) -> String? {
        switch notice {
        case .mutation(let id): "m:" + id
        case .settings: "s"
        case .resync: nil
        }
    }

    static func notice(from payload: String) -> StoreNotice? {
        if payload == "s" { return .settings }
        if payload.hasPrefix("m:") { return .mutation(String(payload.dropFirst(2))) }
        return nil
    }

    /// Listens on one pooled connection (`LISTEN airlock_changes`) for as long as the feed is
    /// consumed. Each time it starts listening (first, and a second after a lost connection) it
    /// says `resync`: notices sent before were not heard.
    public func changeFeed() -> AsyncStream<StoreNotice>? {
        let (stream, continuation) = AsyncStream.makeStream(of: StoreNotice.self, bufferingPolicy: .bufferingNewest(10_000))
        let task = Task { [client, logger] in
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.channel) { notifications in
                            continuation.yield(.resync)
                            for try await notification in notifications {
                                guard let notice = Self.notice(from: notification.payload) else { continue }
                                // A full buffer drops notices: say so, and everything is re-read.
                                if case .dropped = continuation.yield(notice) { continuation.yield(.resync) }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning("listening for changes of other instances failed; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: Reading

    /// The rows of a read-only query, on a pooled connection.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        do {
            return try await client.withConnection { connection in
                try await connection.run(query, logger: logger)
            }
        } catch {
            throw Self.storeError(error, describe: describe)
        }
    }

    /// The isolation level of this store's connections (`SHOW transaction_isolation`).
    func transactionIsolation() async throws -> String {
        try await rows("SHOW transaction_isolation").first?.decode(String.self) ?? ""
    }

    // MARK: Errors and configuration

    /// What a failure means for callers: a ``StoreError`` stays one; a PostgreSQL or connection
    /// error becomes ``StoreError/Code/unavailable`` with the server's message.
    static func storeError(_ error: any Error, describe: String) -> any Error {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            if let what = error.serverInfo?[.sqlState].flatMap(Self.unwritable) {
                // As SQLite's (SQLiteStore.writeFailure): the caller hears why, in words.
                return StoreError(
                    .unavailable,
                    "PostgreSQL \(describe) cannot be written: \(what); nothing of this change was recorded, and the "
                        + "gateway takes writes again once the database does (PostgreSQL: \(message))")
            }
            return StoreError(.unavailable, "PostgreSQL \(describe): \(message)")
        }
        return StoreError(.unavailable, "PostgreSQL \(describe): \(error)")
    }

    /// What a SQLSTATE of a database that refuses writes says, in words; `nil` for any other.
    static func unwritable(_ sqlState: String) -> String? {
        switch sqlState {
        case "53100": "its disk is full"
        case "25006": "it is read-only (default_transaction_read_only, or a standby)"
        case "53200": "it is out of memory"
        case "58030": "its disk answered with an I/O error"
        default: nil
        }
    }

    /// The database a URL names, as people should read it (without the password); `nil` for a
    /// URL that is not a PostgreSQL one.
    public static func describe(url: String) -> String? {
        try? clientConfiguration(url: url, maximumConnections: 1).1
    }

    /// The client configuration of a URL, and the URL without its password.
    static func clientConfiguration(url text: String, maximumConnections: Int) throws -> (PostgresClient.Configuration, String) {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw StoreError(.invalidArgument, "'\(text)' is not a PostgreSQL URL (postgres://user@host:port/database)")
        }
        let user = url.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = url.password.flatMap { $0.removingPercentEncoding }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw StoreError(.invalidArgument, "the PostgreSQL URL names no database (postgres://user@host:port/DATABASE)")
        }
        let socketDirectory = url.queryItems?.first { $0.name == "host" }?.value
        let tls = try PostgresTLSMode.parse(url.queryItems ?? [])
        var configuration: PostgresClient.Configuration
        let describe: String
        if let socketDirectory, socketDirectory.hasPrefix("/") {
            guard !tls.mode.requiresTLS else {
                throw StoreError(
                    .invalidArgument,
                    "sslmode=\(tls.mode.rawValue) needs a TCP connection: a Unix socket (host=\(socketDirectory)) carries no TLS")
            }
            let port = url.port ?? 5432
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
            describe = "\(database) as \(user) on \(socketDirectory)"
        } else {
            let host = url.host ?? "localhost"
            let port = url.port ?? 5432
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tls.clientTLS)
            describe = "\(database) as \(user) at \(host):\(port)"
        }
        configuration.options.maximumConnections = max(1, maximumConnections)
        // What the write path is built on, whatever the database's default: each statement sees
        // what committed before it, and the audit head row orders the writers (a stricter level
        // would refuse transactions that are correct here).
        configuration.options.additionalStartupParameters = [("default_transaction_isolation", "read committed")]
        return (configuration, describe)
    }
}

/// The audit head as this instance's last group commit left it, for the next batch to start
/// from without reading (and locking) it; forgotten after a failure. After another writer moved
/// the head under a batch, the next batches lock it first for a while: that writer is likely
/// still writing.
final class HeadCache: Sendable {
    private struct State {
        var head: PostgresHead?
        var lockUntil: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    /// How long batches lock the head first after it moved under one.
    private let lockingPeriod: Duration

    init(lockingPeriod: Duration) {
        self.lockingPeriod = lockingPeriod
    }

    /// The head to start from, or nil to lock and read it.
    func headForNextBatch() -> PostgresHead? {
        state.withLock { state in
            if let until = state.lockUntil, ContinuousClock.now < until { return nil }
            return state.head
        }
    }

    func committed(_ head: PostgresHead) {
        state.withLock { $0.head = head }
    }

    func headMoved() {
        state.withLock { state in
            state.head = nil
            state.lockUntil = ContinuousClock.now + lockingPeriod
        }
    }

    func forget() {
        state.withLock { $0.head = nil }
    }
}

/// The audit head as a writer knows it, and its generation: how many batches wrote, audited or
/// not (an optimistic batch commits only from the generation it started from).
struct PostgresHead: Sendable {
    var tail: AuditTail
    var generation: Int64
}

/// A continuation resumed once, by whichever of several tasks comes first.
final class OnceContinuation<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes it unless it was; returns whether this call did.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}
