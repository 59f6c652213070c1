import Foundation
import GRDB
import GRDBSQLite

/// The embedded store: SQLite on GRDB, in WAL mode, `synchronous=FULL` by default.
///
/// Writes go through a group-commit writer (see ``GroupCommitWriter``): concurrent ``apply(_:)``
/// calls share one transaction and one fsync, and a refused change fails only its caller (the
/// batch is retried with a savepoint per change). Reads run on WAL reader connections, concurrently with
/// writes.
///
/// Several processes may open the same database (the server, `airlock audit …`): the end of the
/// audit log is re-read at the start of every write transaction.
public final class SQLiteStore: Store {
    /// The schema version this build writes.
    public static var schemaVersion: Int { SQLiteSchema.version }
    /// The database file, or `:memory:`.
    public let path: String
    /// How this store behaves.
    public let configuration: Configuration
    let writer: any DatabaseWriter
    private let commits: GroupCommitWriter<WriteJob, StoreReceipt>
    /// Checkpoints the write-ahead log of a database file; none in memory.
    private let checkpointer: WALCheckpointer?

    enum WriteJob: Sendable {
        case change(StoreChange)
        case checkpoint(force: Bool)
    }

    /// Opens the database file at `path` (WAL mode), creating it unless `createIfMissing` is false,
    /// and migrates it.
    ///
    /// - Throws: ``StoreError/Code/schemaTooNew`` for a database written by a newer Airlock;
    ///   ``StoreError/Code/databaseMissing`` when there is no file and `createIfMissing` is false.
    public convenience init(path: String, configuration: Configuration, createIfMissing: Bool = true) throws {
        if !createIfMissing && !FileManager.default.fileExists(atPath: path) {
            throw StoreError(.databaseMissing, "there is no Airlock database at \(path)")
        }
        var grdb = GRDB.Configuration()
        grdb.label = "airlock"
        grdb.busyMode = .timeout(configuration.busyTimeout)
        let pool = try DatabasePool(path: path, configuration: grdb)
        // SQLite opens a file it cannot write read-only, without a word; the writer would keep
        // that connection, and every decision would fail until a restart, even once the file
        // system can be written again. A store opened to be written says so now instead.
        let readOnly = try pool.writeWithoutTransaction { db in sqlite3_db_readonly(db.sqliteConnection, "main") == 1 }
        if readOnly && createIfMissing {
            try? pool.close()
            throw StoreError(
                .unavailable,
                "the store \(path) cannot be written: it is read-only (its file system, or the file's permissions); "
                    + "Airlock records every decision it makes, so it starts once the store can be written")
        }
        // GRDB sets synchronous=NORMAL when it switches the writer to WAL; set ours after it.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(configuration.synchronous.rawValue)")
            // Savepoints' journals in memory, not in temporary files written during each change.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The log is checkpointed off the writer's path (see WALCheckpointer).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        try self.init(
            writer: pool, path: path, configuration: configuration,
            checkpointer: WALCheckpointer(
                path: path, writer: pool, configuration: grdb, busyTimeout: configuration.busyTimeout,
                synchronous: configuration.synchronous,
                tuning: configuration.walCheckpoints))
    }

    /// Opens the database of a state directory with its signing key (created on first use, mode
    /// 0600, outside the database).
    ///
    /// - Parameter createIfMissing: create the directory, database and key if they do not exist;
    ///   when false, a missing database is an error and a missing key leaves the store unable to
    ///   sign (it can still read and verify).
    public static func open(
        _ directory: StateDirectory, createIfMissing: Bool = true,
        configure: (inout Configuration) -> Void = { _ in }
    ) throws -> SQLiteStore {
        let key: AuditSigningKey?
        if createIfMissing {
            try directory.create()
            try refuseNewKeyForSignedLog(directory)
            key = try AuditSigningKey.loadOrCreate(at: directory.signingKeyURL)
        } else if FileManager.default.fileExists(atPath: directory.signingKeyURL.path) {
            key = try AuditSigningKey.load(from: directory.signingKeyURL)
        } else {
            key = nil
        }
        var configuration = Configuration(signingKey: key)
        configure(&configuration)
        return try SQLiteStore(
            path: directory.databaseURL.path, configuration: configuration, createIfMissing: createIfMissing)
    }

    /// A database whose log was signed must not get a new key in place of a lost one (a backup
    /// restored without its key, say): every earlier checkpoint would then fail verification
    /// under the key verifiers pin.
    private static func refuseNewKeyForSignedLog(_ directory: StateDirectory) throws {
        guard directory.hasDatabase, !FileManager.default.fileExists(atPath: directory.signingKeyURL.path) else { return }
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: directory.databaseURL.path, configuration: configuration)
        defer { try? queue.close() }
        let signed = try queue.read { db in
            try db.tableExists("audit_checkpoints")
                ? Int.fetchOne(db, sql: "SELECT count(*) FROM audit_checkpoints") ?? 0 : 0
        }
        guard signed == 0 else {
            throw StoreError(
                .signingKeyUnavailable,
                "\(directory.databaseURL.path) holds \(signed) signed audit checkpoint(s) but the signing key "
                    + "\(directory.signingKeyURL.path) is missing: restore it (a new key would make the log unverifiable "
                    + "under the old one)")
        }
    }

    /// A store in memory (a GRDB `DatabaseQueue`), for unit tests: the same code as on disk,
    /// without durability.
    public static func inMemory(configuration: Configuration) throws -> SQLiteStore {
        try SQLiteStore(writer: DatabaseQueue(), path: ":memory:", configuration: configuration)
    }

    /// A store over any GRDB writer.
    init(
        writer: any DatabaseWriter, path: String, configuration: Configuration, checkpointer: WALCheckpointer? = nil
    ) throws {
        self.writer = writer
        self.checkpointer = checkpointer
        self.path = path
        self.configuration = configuration
        try SQLiteSchema.prepare(writer, path: path)
        // One server uses a SQLite store: claims on work (passed deadlines, mutations to
        // reconcile) were made by a process that is gone, and must not hold its work back.
        // (Read first: most opens find none, and need not wait for the write lock.)
        let claims = try writer.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM reviews WHERE claimed_until IS NOT NULL)
                        OR EXISTS (SELECT 1 FROM mutations WHERE claimed_until IS NOT NULL)
                    """) ?? false
        }
        if claims {
            try writer.write { db in
                try db.execute(
                    sql: """
                        UPDATE reviews SET claimed_until = NULL WHERE claimed_until IS NOT NULL;
                        UPDATE mutations SET claimed_until = NULL WHERE claimed_until IS NOT NULL;
                        """)
            }
        }
        commits = GroupCommitWriter(maximumBatchSize: configuration.maximumBatchSize) { jobs in
            try await writer.writeWithoutTransaction { db in
                var results: [Result<StoreReceipt, any Error>] = []
                var checkpoint: AuditCheckpoint?
                do {
                    try db.inTransaction(.immediate) {
                        (results, checkpoint) = try Self.run(jobs, in: db, configuration: configuration)
                        return .commit
                    }
                } catch let error as DatabaseError {
                    // The transaction was rolled back: nothing of the batch is written.
                    throw Self.writeFailure(error, path: path) ?? error
                }
                if let checkpoint, let witness = configuration.witness {
                    // Committed: witnessed before any caller hears of it (a failure here fails them all).
                    try witness.append(checkpoint)
                }
                return results
            }
        }
    }

    /// A write the disk refused, as an error that says so: every caller of the batch is answered
    /// with it (503 over HTTP), nothing of the batch was written, and the next batch tries again,
    /// so the server goes on by itself once the disk takes writes again.
    static func writeFailure(_ error: DatabaseError, path: String) -> StoreError? {
        guard let what = storageFailure(error) else { return nil }
        return StoreError(
            .unavailable,
            "the store \(path) cannot be written: \(what); nothing of this change was recorded, and the "
                + "gateway takes writes again once the disk does (SQLite: \(error.message ?? "\(error.resultCode)"))")
    }

    /// What the disk refused, when `error` is the disk's refusal rather than a change's own
    /// (a constraint, a state moved by another writer): such an error is not one change's to
    /// fail alone but the whole batch's, and SQLite may already have rolled the transaction
    /// back (a full disk at a statement does), so no savepoint is left to undo to.
    static func storageFailure(_ error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: return "its disk is full"
        case .SQLITE_READONLY: return "it is read-only (its file system, or the file's permissions)"
        case .SQLITE_IOERR: return "the disk answered with an I/O error"
        case .SQLITE_CANTOPEN: return "a file it needs cannot be opened"
        default: return nil
        }
    }

    public func apply(_ change: StoreChange) async throws -> StoreReceipt {
        if change.isEmpty {
            return StoreReceipt(auditRecords: [], checkpoint: nil)
        }
        return try await commits.submit(.change(change))
    }

    public func checkpointIfDue() async throws -> AuditCheckpoint? {
        try await commits.submit(.checkpoint(force: false)).checkpoint
    }

    public func signCheckpoint() async throws -> AuditCheckpoint? {
        guard configuration.signingKey != nil else {
            throw StoreError(.signingKeyUnavailable, "this store was opened without the audit signing key")
        }
        return try await commits.submit(.checkpoint(force: true)).checkpoint
    }

    public func close() async throws {
        await checkpointer?.stop()
        if let pool = writer as? DatabasePool {
            try pool.close()
        } else if let queue = writer as? DatabaseQueue {
            try queue.close()
        }
    }

    /// The `synchronous` pragma in force on the writer connection (0 OFF, 1 NORMAL, 2 FULL).
    public func synchronousSetting() async throws -> Int {
        try await writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Applies every change of a batch under one savepoint; nil (and nothing applied) when one
    /// was refused.
    private static func applyInOneSavepoint(
        _ jobs: [WriteJob], in db: Database, appender: inout AuditAppender, nowMicros: Int64
    ) throws -> [Result<StoreReceipt, any Error>]? {
        var results: [Result<StoreReceipt, any Error>] = []
        results.reserveCapacity(jobs.count)
        try db.cachedStatement(sql: "SAVEPOINT airlock_batch").execute()
        do {
            for job in jobs {
                guard case .change(let change) = job else {
                    results.append(.success(StoreReceipt(auditRecords: [], checkpoint: nil)))
                    continue
                }
                var applier = SQLiteChangeApplier(db: db, time: change.time, auditTimeMicros: nowMicros)
                let records = try applier.apply(change.operations, appender: &appender)
                results.append(.success(StoreReceipt(auditRecords: records, checkpoint: nil)))
            }
        } catch {
            if storageFailure(error) != nil { throw error }
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT airlock_batch").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT airlock_batch").execute()
            return nil
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT airlock_batch").execute()
        return results
    }

    /// Applies each change of a batch under its own savepoint: a refused change fails alone.
    private static func applyEachInItsSavepoint(
        _ jobs: [WriteJob], in db: Database, appender: inout AuditAppender, nowMicros: Int64
    ) throws -> [Result<StoreReceipt, any Error>] {
        var results: [Result<StoreReceipt, any Error>] = []
        results.reserveCapacity(jobs.count)
        let savepoint = try db.cachedStatement(sql: "SAVEPOINT airlock_change")
        let release = try db.cachedStatement(sql: "RELEASE SAVEPOINT airlock_change")
        let rollback = try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT airlock_change")
        for job in jobs {
            guard case .change(let change) = job else {
                results.append(.success(StoreReceipt(auditRecords: [], checkpoint: nil)))
                continue
            }
            let saved = appender
            try savepoint.execute()
            do {
                var applier = SQLiteChangeApplier(db: db, time: change.time, auditTimeMicros: nowMicros)
                let records = try applier.apply(change.operations, appender: &appender)
                try release.execute()
                results.append(.success(StoreReceipt(auditRecords: records, checkpoint: nil)))
            } catch {
                if storageFailure(error) != nil { throw error }
                // Undo this change only; the others in the batch stand.
                try rollback.execute()
                try release.execute()
                appender = saved
                results.append(.failure(error))
            }
        }
        return results
    }

    /// One group commit: the changes (a refused one failing alone), then a checkpoint if one is
    /// due, then the audit head; the caller commits.
    private static func run(
        _ jobs: [WriteJob], in db: Database, configuration: Configuration
    ) throws -> ([Result<StoreReceipt, any Error>], AuditCheckpoint?) {
        var appender = try AuditAppender(db: db)
        let startSize = appender.size
        let nowMicros = configuration.now().microsecondsSince1970
        let forceCheckpoint = jobs.contains { if case .checkpoint(force: true) = $0 { true } else { false } }
        let start = appender
        // Almost every change applies: try the whole batch under one savepoint (SQLite then keeps
        // one copy of each page the batch touches, rather than one per change). When a change is
        // refused, undo the batch and apply each change under its own savepoint, so that only the
        // refused one fails.
        let results: [Result<StoreReceipt, any Error>]
        if let applied = try applyInOneSavepoint(jobs, in: db, appender: &appender, nowMicros: nowMicros) {
            results = applied
        } else {
            appender = start
            results = try applyEachInItsSavepoint(jobs, in: db, appender: &appender, nowMicros: nowMicros)
        }
        var checkpoint: AuditCheckpoint?
        if let key = configuration.signingKey,
            forceCheckpoint
                || appender.isCheckpointDue(
                    every: configuration.checkpointEvery,
                    intervalMicros: Int64(configuration.checkpointInterval * 1_000_000), nowMicros: nowMicros)
        {
            checkpoint = try appender.signCheckpoint(with: key, timeMicros: nowMicros, db: db)
        }
        if appender.size != startSize || checkpoint != nil {
            try appender.save(db: db)
        }
        return (results.carrying(checkpoint), checkpoint)
    }
}
