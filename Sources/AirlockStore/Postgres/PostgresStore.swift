import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The store on PostgreSQL, for several gateway instances sharing one database.
///
/// Every write is one transaction that first locks the audit head row (`SELECT … FOR UPDATE`):
/// writers from every instance take their turn at that one point, so the audit log stays one
/// chain and each change reads the state it changes from what the last committed writer left (a
/// mutation moves only from the status it is in; a vote counts only once). `apply` returns once
/// the transaction is committed, and PostgreSQL's commit is durable (`synchronous_commit` on).
/// A refused change rolls back whole: nothing of it is written.
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

        public init(
            signingKey: AuditSigningKey?, checkpointEvery: Int = 1000, checkpointInterval: TimeInterval = 60,
            now: @escaping @Sendable () -> Date = { Date() }, maximumConnections: Int = 20, migrate: Bool = false
        ) {
            self.signingKey = signingKey
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

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`, or
    /// `postgres://user@/database?host=/socket/dir` for a Unix socket), and checks (or, with
    /// `configuration.migrate`, brings up to date) its schema.
    public init(url: String, configuration: Configuration, logger: Logger = Logger(label: "airlock.postgres")) async throws {
        let (clientConfiguration, describe) = try Self.clientConfiguration(url: url, maximumConnections: configuration.maximumConnections)
        self.configuration = configuration
        self.describe = describe
        self.logger = logger
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        self.client = client
        running = Task { await client.run() }
        do {
            // The pool keeps trying to connect: a database that cannot be reached is an error
            // after a while, not a start that hangs.
            schemaVersionFound = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        try await PostgresSchema.prepare(connection, logger: logger, migrate: configuration.migrate, describe: describe)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(configuration.connectTimeout))
                    throw StoreError(
                        .unavailable,
                        "PostgreSQL \(describe) could not be reached within \(Int(configuration.connectTimeout)) s: is the server "
                            + "running, and does the URL name its host, port, user and database?")
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
        } catch {
            running.cancel()
            throw Self.storeError(error, describe: describe)
        }
    }

    public func close() async throws {
        running.cancel()
        await running.value
    }

    // MARK: Writing

    public func apply(_ change: StoreChange) async throws -> StoreReceipt {
        if change.isEmpty {
            return StoreReceipt(auditRecords: [], checkpoint: nil)
        }
        return try await write { connection, tail, notices in
            var applier = PostgresChangeApplier(
                connection: connection, logger: logger, time: change.time,
                auditTimeMicros: configuration.now().microsecondsSince1970)
            let records = try await applier.apply(change.operations, tail: &tail)
            notices = applier.notices
            return StoreReceipt(auditRecords: records, checkpoint: nil)
        }
    }

    public func mergeSignalState(key: String, at time: Date, _ merge: @Sendable (Data?) throws -> Data) async throws -> Data {
        var written = Data()
        _ = try await write { connection, _, _ in
            let stored = try await connection.query("SELECT blob FROM signal_state WHERE key = \(key)", logger: logger).collect()
                .first.map { Data(try $0.decode(ByteBuffer.self).readableBytesView) }
            written = try merge(stored)
            try await connection.run(
                """
                INSERT INTO signal_state (key, blob, updated_at) VALUES (\(key), \(ByteBuffer(bytes: written)), \(time.microsecondsSince1970))
                ON CONFLICT (key) DO UPDATE SET blob = EXCLUDED.blob, updated_at = EXCLUDED.updated_at
                """, logger: logger)
            return StoreReceipt(auditRecords: [], checkpoint: nil)
        }
        return written
    }

    public func checkpointIfDue() async throws -> AuditCheckpoint? {
        guard configuration.signingKey != nil else { return nil }
        return try await write { _, _, _ in StoreReceipt(auditRecords: [], checkpoint: nil) }.checkpoint
    }

    public func signCheckpoint() async throws -> AuditCheckpoint? {
        guard configuration.signingKey != nil else {
            throw StoreError(.signingKeyUnavailable, "this store was opened without the audit signing key")
        }
        return try await write(forceCheckpoint: true) { _, _, _ in StoreReceipt(auditRecords: [], checkpoint: nil) }.checkpoint
    }

    /// One write transaction: locks and reads the audit head, runs `body`, signs a checkpoint if
    /// one is due, writes the head back, notifies the listening instances of what `body` says it
    /// touched (`NOTIFY` is delivered at the commit, and only if it commits) and commits. Rolls
    /// back on any error.
    private func write(
        forceCheckpoint: Bool = false,
        _ body: (PostgresConnection, inout AuditTail, inout Set<StoreNotice>) async throws -> StoreReceipt
    ) async throws -> StoreReceipt {
        do {
            return try await client.withConnection { connection in
                try await connection.run("BEGIN", logger: logger)
                do {
                    var tail = try await Self.lockTail(connection, logger: logger)
                    let start = tail
                    var notices: Set<StoreNotice> = []
                    var receipt = try await body(connection, &tail, &notices)
                    let nowMicros = configuration.now().microsecondsSince1970
                    if let key = configuration.signingKey,
                        forceCheckpoint
                            || tail.isCheckpointDue(
                                every: configuration.checkpointEvery,
                                intervalMicros: Int64(configuration.checkpointInterval * 1_000_000), nowMicros: nowMicros),
                        let checkpoint = try tail.signCheckpoint(with: key, timeMicros: nowMicros)
                    {
                        try await connection.run(
                            """
                            INSERT INTO audit_checkpoints (tree_size, root, time_us, key_id, signature)
                            VALUES (\(checkpoint.treeSize), \(ByteBuffer(bytes: checkpoint.root.bytes)), \(checkpoint.timeMicros),
                                \(checkpoint.keyID), \(ByteBuffer(bytes: checkpoint.signature)))
                            """, logger: logger)
                        receipt.checkpoint = checkpoint
                    }
                    if tail.size != start.size || receipt.checkpoint != nil {
                        try await connection.run(
                            """
                            UPDATE audit_head SET size = \(tail.size), last_hash = \(ByteBuffer(bytes: tail.lastHash.bytes)),
                                last_time_us = \(tail.lastTimeMicros), frontier = \(ByteBuffer(bytes: tail.frontier.serialized)),
                                checkpoint_size = \(tail.checkpointSize), checkpoint_time_us = \(tail.checkpointTimeMicros)
                            WHERE id = 1
                            """, logger: logger)
                    }
                    if !notices.isEmpty {
                        let payloads = notices.compactMap(Self.payload(of:)).sorted()
                        try await connection.run(
                            "SELECT pg_notify(\(Self.channel), p) FROM unnest(\(payloads)::text[]) AS p", logger: logger)
                    }
                    try await connection.run("COMMIT", logger: logger)
                    return receipt
                } catch {
                    await connection.rollBack(logger: logger)
                    throw error
                }
            }
        } catch {
            throw Self.storeError(error, describe: describe)
        }
    }

    /// Locks the audit head row for this transaction and reads it.
    static func lockTail(_ connection: PostgresConnection, logger: Logger) async throws -> AuditTail {
        try await readTail(connection, logger: logger, lock: true)
    }

    static func readTail(_ connection: PostgresConnection, logger: Logger, lock: Bool) async throws -> AuditTail {
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

    // MARK: Errors and configuration

    /// What a failure means for callers: a ``StoreError`` stays one; a PostgreSQL or connection
    /// error becomes ``StoreError/Code/unavailable`` with the server's message.
    static func storeError(_ error: any Error, describe: String) -> any Error {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            return StoreError(.unavailable, "PostgreSQL \(describe): \(message)")
        }
        return StoreError(.unavailable, "PostgreSQL \(describe): \(error)")
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
        var configuration: PostgresClient.Configuration
        let describe: String
        if let socketDirectory, socketDirectory.hasPrefix("/") {
            let port = url.port ?? 5432
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
            describe = "\(database) as \(user) on \(socketDirectory)"
        } else {
            let host = url.host ?? "localhost"
            let port = url.port ?? 5432
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
            describe = "\(database) as \(user) at \(host):\(port)"
        }
        configuration.options.maximumConnections = max(1, maximumConnections)
        return (configuration, describe)
    }
}
