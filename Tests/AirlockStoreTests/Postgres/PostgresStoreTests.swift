import AirlockCore
@testable import AirlockStore
import AirlockTestSupport
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// What the PostgreSQL store does beyond the conformance suite: opening, and refusing.
@Suite struct PostgresStoreTests {
    @Test func aDatabaseThatCannotBeReachedIsAClearErrorNotAHang() async throws {
        var configuration = PostgresStore.Configuration(signingKey: nil, migrate: true)
        configuration.connectTimeout = 2
        let started = ContinuousClock.now
        do {
            _ = try await PostgresStore(url: "postgres://airlock@127.0.0.1:1/airlock", configuration: configuration)
            Issue.record("opened a database nobody serves")
        } catch let error as StoreError {
            #expect(error.code == .unavailable, "\(error)")
            // (Whether it quotes the refused connection depends on the pool having tried within the
            // 2 s; a loaded machine may not have run it yet.)
            #expect("\(error)".contains("127.0.0.1:1"), "\(error)")
        }
        // Not a measure of speed: a hang would never answer, and the default timeout is 30 s. The
        // margin is wide because the whole suite starts at once on two cores (CI once took 10.3 s).
        #expect(ContinuousClock.now - started < .seconds(25), "answered only after \(ContinuousClock.now - started)")
    }

    @Test func thePoolsLastConnectFailureIsKeptAndItsMessagesStillGoThrough() {
        let recorder = ConnectFailureRecorder()
        let printed = PrintedLines()
        var inner = RecordingLogHandler(printed: printed)
        inner.logLevel = .warning
        let logger = recorder.logger(wrapping: Logger(label: "test") { _ in inner })
        #expect(recorder.lastFailure == nil)
        logger.info("Connection creation failed", metadata: ["psql_error": "Connection refused (errno: 111)"])
        #expect(recorder.lastFailure == "Connection refused (errno: 111)")
        // Noted, but below the store's own level: not printed; a warning is.
        logger.warning("listening failed")
        #expect(printed.lines.withLock { $0 } == ["listening failed"])
    }

    @Test func aURLThatIsNotPostgresIsRefusedSayingWhy() async throws {
        for (url, expected) in [
            ("mysql://x@db/airlock", "is not a PostgreSQL URL"), ("postgres://x@db:5432/", "names no database"),
        ] {
            do {
                _ = try await PostgresStore(url: url, configuration: PostgresStore.Configuration(signingKey: nil))
                Issue.record("opened \(url)")
            } catch {
                #expect("\(error)".contains(expected), "\(url): \(error)")
            }
        }
    }

    @Test func anOlderSchemaIsRefusedUnlessMigrating() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        do {
            _ = try await PostgresStore(url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: nil))
            Issue.record("served an empty database without migrating it")
        } catch let error as StoreError {
            #expect(error.code == .schemaTooOld && "\(error)".contains("airlock migrate"), "\(error)")
        }
        let migrated = try await PostgresStore(
            url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: nil, migrate: true))
        #expect(migrated.schemaVersionFound == 0)
        try await migrated.close()
        _ = try await cluster.query("UPDATE airlock_schema SET version = 99", database: database)
        do {
            _ = try await PostgresStore(url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: nil))
            Issue.record("opened a database a newer Airlock wrote")
        } catch let error as StoreError {
            #expect(error.code == .schemaTooNew && "\(error)".contains("schema version 99"), "\(error)")
        }
    }
}

/// Two stores on one database, as two instances: each batch of one starts from the audit head it
/// last wrote, and must notice when the other moved it.
@Suite struct PostgresSharedHeadTests {
    @Test func eachWritingAfterTheOtherMovedTheHeadKeepsOneChain() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let key = AuditSigningKey.generate()
        var configuration = PostgresStore.Configuration(signingKey: key, checkpointEvery: 7, migrate: true)
        // Every batch starts from the head its store knows, however often the other moved it.
        configuration.lockFirstAfterContention = .zero
        let first = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let second = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        // Turn about: every write but the first starts from a head the other store moved.
        for index in 0..<12 {
            let store = index.isMultiple(of: 2) ? first : second
            let receipt = try await store.create("turn-\(index)", at: now)
            #expect(receipt.auditRecords.map(\.seq) == [Int64(index + 1)])
        }
        // A checkpoint signed by one, with no record: the other's next write must not put back
        // the head it knew (whose last checkpoint is older).
        try await first.create("before-checkpoint", at: now)
        let signed = try #require(try await second.signCheckpoint())
        #expect(signed.treeSize == 13)
        try await first.create("after-checkpoint", at: now)
        let head = try await cluster.query("SELECT size, checkpoint_size FROM audit_head", database: database)
        #expect(head.trimmingCharacters(in: .whitespacesAndNewlines) == "14|13", "\(head)")
        // Both at once, and a change refused in the middle of them.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let store = index.isMultiple(of: 2) ? first : second
                    try await store.create("both-\(index)", at: now)
                }
            }
            group.addTask { _ = await storeErrorCode { try await second.create("turn-3", at: now) } }
            try await group.waitForAll()
        }
        // One move raced through both: exactly one wins.
        try await first.move("turn-0", .received, .approved, at: now)
        let wins = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let store = index.isMultiple(of: 2) ? first : second
                    return (try? await store.move("turn-0", .approved, .executing, at: now)) != nil
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try await first.auditHead().size == 14 + 40 + 2)
        let report = try await second.verifyAudit(publicKey: key.publicKey)
        #expect(report.isIntact && report.recordCount == 56, "\(report)")
        #expect(report.checkpointCount >= 1 && report.validSignatures == report.checkpointCount)
        #expect(try await first.transitions(mutationID: "turn-0").map(\.to) == [.approved, .executing])
        try await first.close()
        try await second.close()
    }

    @Test func writesWithoutAuditRecordsAreOrderedToo() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        var configuration = PostgresStore.Configuration(signingKey: nil, migrate: true)
        configuration.lockFirstAfterContention = .zero
        let first = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let second = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        // Both stores know the head before the race: each starts every batch from it.
        try await first.create("a", at: now)
        try await second.create("b", at: now)
        // A policy version is recorded without an audit record, at the next position: the two
        // stores must not both take one position.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<24 {
                group.addTask {
                    var change = StoreChange(at: now)
                    change.recordPolicyVersion(NewPolicyVersion(name: "p", hash: "pv-\(index)", text: "policy \(index)", createdBy: "ops"))
                    _ = try await (index.isMultiple(of: 2) ? first : second).apply(change)
                }
            }
            try await group.waitForAll()
        }
        let positions = try await cluster.query("SELECT count(*), count(DISTINCT position) FROM policy_versions", database: database)
        #expect(positions.trimmingCharacters(in: .whitespacesAndNewlines) == "24|24", "\(positions)")
        try await first.close()
        try await second.close()
    }
}

/// The change feed: what one instance hears of another's commits.
@Suite struct PostgresChangeFeedTests {
    @Test func movesAndSettingsAreHeardNewMutationsAreNot() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let configuration = PostgresStore.Configuration(signingKey: nil, migrate: true)
        let writer = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let listener = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await writer.create("old", at: now)
        var heard = try #require(listener.changeFeed()).makeAsyncIterator()
        #expect(await heard.next() == .resync)

        // A new mutation, moved in its own change: nobody can be waiting on it.
        var change = StoreChange(at: now)
        change.createMutation(Fixtures.mutation("new"), audit: Fixtures.submitted())
        change.transition("new", from: .received, to: .approved, audit: Fixtures.audit(.approved))
        try await writer.apply(change)
        // A mutation that existed, then a setting.
        try await writer.move("old", .received, .approved, at: now)
        var freeze = StoreChange(at: now)
        freeze.setFreeze(FreezeRecord(on: true, reason: "test", since: now, by: "ops"), audit: Fixtures.audit("freeze"))
        try await writer.apply(freeze)

        #expect(await heard.next() == .mutation("old"))
        #expect(await heard.next() == .settings)
        try await writer.close()
        try await listener.close()
    }
}

/// The isolation the write path is built on, whatever the database's default.
@Suite struct PostgresIsolationTests {
    @Test func readCommittedEvenWhenTheDatabaseDefaultsToSerializable() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        _ = try await cluster.query("ALTER DATABASE \(database) SET default_transaction_isolation = 'serializable'", database: database)
        #expect(try await cluster.query("SHOW transaction_isolation", database: database).contains("serializable"))
        let store = try await PostgresStore(
            url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: nil, migrate: true))
        #expect(try await store.transactionIsolation() == "read committed")
        try await store.close()
    }
}

/// Opening a database to serve or read it needs no right to change its schema.
@Suite struct PostgresReadOnlyRoleTests {
    @Test func aRoleThatCannotCreateTablesOpensAMigratedDatabase() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let migrated = try await PostgresStore(
            url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: nil, migrate: true))
        try await migrated.close()
        let role = "reader_\(database)"
        _ = try await cluster.query(
            "CREATE ROLE \(role) LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role); REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            database: database)
        defer { _ = try? cluster.query("DROP OWNED BY \(role); DROP ROLE \(role)", database: database) }
        let url = cluster.url(database: database).replacingOccurrences(of: "://postgres@", with: "://\(role)@")
        let reader = try await PostgresStore(url: url, configuration: PostgresStore.Configuration(signingKey: nil))
        #expect(reader.schemaVersionFound == PostgresStore.schemaVersion)
        #expect(try await reader.auditHead().size == 0)
        try await reader.close()
    }
}

/// Verification and inclusion proofs read the log a page at a time, and still see one snapshot.
@Suite struct PostgresAuditPagingTests {
    @Test func verificationOverManyPagesFindsAnEditAndProofsStillVerify() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let key = AuditSigningKey.generate()
        var configuration = PostgresStore.Configuration(signingKey: key, checkpointEvery: 10, migrate: true)
        configuration.verificationPageSize = 7
        let store = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<32 { try await store.create("paged-\(index)", at: now) }
        let intact = try await store.verifyAudit(publicKey: key.publicKey)
        // 32 records: four full pages and a page of four, the last of them read after a full one.
        #expect(intact.isIntact && intact.recordCount == 32 && intact.checkpointCount == 3, "\(intact)")
        let proof = try await store.inclusionProof(seq: 23)
        #expect(proof.record.seq == 23 && proof.checkpoint.treeSize == 30)
        try proof.verify(publicKey: AuditPublicKey(key.publicKey))

        // An edit on the fifth page: the first pass stops there and the diagnosis reads it again.
        try await cluster.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 29", database: database)
        let edited = try await store.verifyAudit(publicKey: key.publicKey)
        #expect(!edited.isIntact)
        #expect(edited.problems.first?.kind == .edited && edited.problems.first?.seq == 29, "\(edited)")
        // A stored hash changed: the leaves no longer give the signed root, so no proof is made.
        _ = try await store.inclusionProof(seq: 3)
        try await cluster.query("UPDATE audit_log SET hash = prev_hash WHERE seq = 29", database: database)
        await #expect(throws: StoreError.self) { try await store.inclusionProof(seq: 3) }
        try await store.close()
    }
}

/// Every instance on a database signs with one key: the first to open it records which.
@Suite struct PostgresSigningKeyTests {
    @Test func anotherKeyIsRefusedEvenBeforeAnyCheckpointAndOfTwoAtOnceOneWins() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let url = cluster.url(database: database)
        let (first, second) = (AuditSigningKey.generate(), AuditSigningKey.generate())
        let keeper = try await PostgresStore(url: url, configuration: PostgresStore.Configuration(signingKey: first, migrate: true))
        try await keeper.checkSigningKey()
        try await keeper.checkSigningKey()
        // No checkpoint yet: the recorded key decides.
        let intruder = try await PostgresStore(url: url, configuration: PostgresStore.Configuration(signingKey: second))
        do {
            try await intruder.checkSigningKey()
            Issue.record("a second key was accepted")
        } catch let error as StoreError {
            #expect(error.code == .signingKeyUnavailable)
            #expect("\(error)".contains("kept for key \(first.keyID)") && "\(error)".contains(second.keyID), "\(error)")
        }
        // A log signed before the key was recorded: its latest checkpoint's key decides.
        _ = try await keeper.create("signed", at: Date(timeIntervalSince1970: 1_800_000_000))
        _ = try #require(try await keeper.signCheckpoint())
        try await cluster.query("DELETE FROM system_settings WHERE key = 'audit_signing_key'", database: database)
        do {
            try await intruder.checkSigningKey()
            Issue.record("a key other than the checkpoint's was accepted")
        } catch let error as StoreError {
            #expect("\(error)".contains("signed with key \(first.keyID)"), "\(error)")
        }
        try await keeper.close()
        try await intruder.close()

        // Two instances with different keys on a fresh database, at once: one goes on.
        let fresh = try await cluster.createDatabase()
        defer { cluster.discardDatabase(fresh) }
        let stores = [
            try await PostgresStore(url: cluster.url(database: fresh), configuration: PostgresStore.Configuration(signingKey: first, migrate: true)),
            try await PostgresStore(url: cluster.url(database: fresh), configuration: PostgresStore.Configuration(signingKey: second)),
        ]
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for store in stores { group.addTask { (try? await store.checkSigningKey()) != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(accepted == 1)
        for store in stores { try await store.close() }
    }
}

/// TLS to the database: libpq's `sslmode` and `sslrootcert`, against a server with a self-signed
/// certificate.
@Suite struct PostgresTLSTests {
    /// Whether the store's own connection is encrypted, as the server sees it.
    static func encrypted(_ store: PostgresStore) async throws -> Bool {
        try await store.rows("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.decode(Bool.self) ?? false
    }

    @Test func eachModeEncryptsAndChecksAsLibpqDoes() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let url = cluster.url(database: database)
        let configuration = PostgresStore.Configuration(signingKey: nil, migrate: true)
        let root = cluster.certificatePath
        for (query, expected) in [
            ("", true), ("?sslmode=prefer", true), ("?sslmode=disable", false), ("?sslmode=require", true),
            ("?sslmode=verify-ca&sslrootcert=\(root)", true), ("?sslmode=verify-full&sslrootcert=\(root)", true),
        ] {
            let store = try await PostgresStore(url: url + query, configuration: configuration)
            #expect(try await Self.encrypted(store) == expected, "\(query)")
            try await store.close()
        }
        // Verifying against the system's roots, which do not trust the test certificate: refused.
        var quick = configuration
        quick.connectTimeout = 10
        do {
            let store = try await PostgresStore(url: url + "?sslmode=verify-full", configuration: quick)
            try await store.close()
            Issue.record("a certificate no trusted CA signed was accepted")
        } catch let error as StoreError {
            #expect(error.code == .unavailable && "\(error)".contains("CERTIFICATE_VERIFY_FAILED"), "\(error)")
        }
    }

    @Test func parametersItDoesNotKnowOrThatContradictAreRefusedSayingWhich() async throws {
        let configuration = PostgresStore.Configuration(signingKey: nil)
        for (url, expected) in [
            ("postgres://x@db/airlock?sslmode=always", "sslmode=always in the PostgreSQL URL is not one of disable, prefer, require, verify-ca, verify-full"),
            ("postgres://x@db/airlock?application_name=a", "parameter 'application_name' is not one Airlock reads"),
            ("postgres://x@db/airlock?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "sslrootcert=/nonexistent/ca.pem"),
            ("postgres://x@db/airlock?sslmode=require&sslrootcert=/etc/hostname", "only used with sslmode=verify-ca or verify-full"),
            ("postgres://x@/airlock?host=/run/postgresql&sslmode=require", "a Unix socket (host=/run/postgresql) carries no TLS"),
        ] {
            do {
                _ = try await PostgresStore(url: url, configuration: configuration)
                Issue.record("opened \(url)")
            } catch let error as StoreError {
                #expect(error.code == .invalidArgument && "\(error)".contains(expected), "\(url): \(error)")
            }
        }
    }
}

/// The connection failing at a batch's commit point: the store finds out whether it committed.
@Suite struct PostgresLostCommitAnswerTests {
    @Test func aLostAnswerToACommitThatHappenedIsASuccessAndOneThatDidNotIsAnError() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let key = AuditSigningKey.generate()
        let faults = Mutex<[PostgresStore.CommitFault]>([])
        var configuration = PostgresStore.Configuration(signingKey: key, migrate: true)
        configuration.commitFault = { faults.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
        let store = try await PostgresStore(url: cluster.url(database: database), configuration: configuration)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.create("first", at: now)

        // A new mutation: one statement, no transaction; its answer lost after it committed.
        faults.withLock { $0 = [.answerLost] }
        let created = try await store.create("answer-lost", at: now)
        #expect(created.auditRecords.map(\.seq) == [2])
        #expect(try await store.mutation(id: "answer-lost") != nil)
        // The connection failed before the statement went: an error, and nothing written.
        faults.withLock { $0 = [.beforeCommit] }
        #expect(await storeErrorCode { try await store.create("never", at: now) } == .unavailable)
        #expect(try await store.mutation(id: "never") == nil)

        // A move (a transaction, ended by COMMIT): the same both ways.
        faults.withLock { $0 = [.answerLost] }
        let moved = try await store.move("first", .received, .approved, at: now)
        #expect(moved.auditRecords.map(\.seq) == [3])
        faults.withLock { $0 = [.beforeCommit] }
        #expect(await storeErrorCode { try await store.move("first", .approved, .executing, at: now) } == .unavailable)
        #expect(try await store.mutation(id: "first")?.status == .approved)

        // The chain goes on from what the database holds.
        #expect(try await store.create("after", at: now).auditRecords.map(\.seq) == [4])
        let report = try await store.verifyAudit(publicKey: key.publicKey)
        #expect(report.isIntact && report.recordCount == 4, "\(report)")
        try await store.close()
    }
}

/// The messages a ``RecordingLogHandler`` was given.
final class PrintedLines: Sendable {
    let lines = Mutex<[String]>([])
}

/// A log handler that keeps the messages it is given.
struct RecordingLogHandler: LogHandler {
    let printed: PrintedLines
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    init(printed: PrintedLines) {
        self.printed = printed
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        printed.lines.withLock { $0.append("\(event.message)") }
    }
}
