import AirlockCore
import AirlockStore
import Foundation
import GRDB
import AirlockTestSupport
import Testing

@Suite("SQLite store", .sharedResources)
struct SQLiteStoreTests {
    @Test("synchronous is FULL by default and NORMAL when asked")
    func synchronousSetting() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let full = try SQLiteStore.open(StateDirectory(directory.url.appendingPathComponent("full")))
        #expect(try await full.synchronousSetting() == 2)
        let normal = try SQLiteStore.open(StateDirectory(directory.url.appendingPathComponent("normal"))) {
            $0.synchronous = .normal
        }
        #expect(try await normal.synchronousSetting() == 1)
        try await full.close()
        try await normal.close()
    }

    @Test("the write-ahead log is copied into the database file in the background, not by commits")
    func backgroundCheckpoints() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let store = try SQLiteStore.open(state)
        func fileSize(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        }
        let before = fileSize(state.databaseURL.path)
        // About 2,000 pages of log: past SQLite's automatic threshold, which commits no longer act on.
        let payload = String(repeating: "x", count: 3_000)
        for batch in 0..<40 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<50 {
                    group.addTask { try await store.note("\(batch)-\(i)-\(payload)", at: Date()) }
                }
                try await group.waitForAll()
            }
        }
        // The checkpointer runs every 100 ms; give it a few rounds.
        var grown = false
        for _ in 0..<50 where !grown {
            try await Task.sleep(for: .milliseconds(100))
            grown = fileSize(state.databaseURL.path) > before + 4_000_000
        }
        #expect(grown, "the database file did not receive the log's pages while the store was open")
        #expect(try await store.auditHead().size == 2_000)
        try await store.close()
    }

    @Test("under sustained writes the write-ahead log starts over instead of growing")
    func logStartsOverUnderSustainedWrites() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let store = try SQLiteStore.open(state, configure: Self.smallCheckpoints)
        let log = WriteAheadLog(databasePath: state.databaseURL.path)
        let startsBefore = log.startCount
        // About 60 MB of log (records, their indexes, signed checkpoints) from 64 writers that
        // never pause.
        try await Self.write(to: store, writers: 64, each: 190)
        // Measured: about 20 starts and a 4 MB file, also with every core busy elsewhere (before
        // the restart ran on the writer's connection, a busy machine saw one or two and 57 MB);
        // without catch-up and restarts, none and 60 MB.
        let starts = log.startCount &- startsBefore
        #expect(starts >= 3, "the log started over \(starts) times")
        // The log file keeps its largest size once it starts over.
        #expect(log.fileSize < 20_000_000, "the log grew to \(log.fileSize) bytes")
        #expect(try await store.auditHead().size == 64 * 190)
        try await store.close()
    }

    @Test("a reader holding the old log delays the restart without stopping writes")
    func readerHoldingTheLog() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let log = WriteAheadLog(databasePath: state.databaseURL.path)
        // A read transaction on a connection of its own keeps its snapshot until it ends; while
        // its snapshot holds frames not yet copied into the database file, the log cannot start
        // over. So a first store that never checkpoints writes, the reader starts reading, and
        // only then does the store under test open on the same file.
        let first = try SQLiteStore.open(state) { $0.walCheckpoints.interval = .seconds(3_600) }
        try await first.note("first", at: Date())
        var readerConfiguration = Configuration()
        readerConfiguration.allowsUnsafeTransactions = true  // the transaction spans two accesses
        let reader = try DatabaseQueue(path: state.databaseURL.path, configuration: readerConfiguration)
        try await reader.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN DEFERRED")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log")
        }
        try await first.close()  // the reader's connection keeps the log from being checkpointed
        let store = try SQLiteStore.open(state, configure: Self.smallCheckpoints)
        let startsWhileReading = log.startCount
        // Each restart attempt meanwhile gives up after a short wait and backs off (both checked
        // in RestartScheduleTests, where timing cannot blur them): the writes go on.
        try await Self.write(to: store, writers: 16, each: 100)
        #expect(log.startCount == startsWhileReading, "the log started over under a reader")
        try await reader.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        try reader.close()
        // Restarts resume once the reader is gone (after the back-off of the failed attempts).
        let startsAfterReading = log.startCount
        var written = 1 + 16 * 100
        let deadline = Date().addingTimeInterval(20)
        while log.startCount == startsAfterReading && Date() < deadline {
            try await Self.write(to: store, writers: 16, each: 10)
            written += 16 * 10
        }
        #expect(log.startCount != startsAfterReading, "the log never started over after the reader ended")
        #expect(try await store.auditHead().size == written)
        try await store.close()
    }

    /// Checkpoint figures small enough that a second of writes crosses them many times.
    private static func smallCheckpoints(_ configuration: inout SQLiteStore.Configuration) {
        configuration.walCheckpoints.interval = .milliseconds(10)
        configuration.walCheckpoints.catchUpFrames = 64
        configuration.walCheckpoints.restartFrames = 512
    }

    /// Notes of about 4 kB each from concurrent writers that never pause.
    private static func write(to store: SQLiteStore, writers: Int, each: Int) async throws {
        let payload = String(repeating: "y", count: 4_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for i in 0..<each { try await store.note("\(writer)-\(i)-\(payload)", at: Date()) }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("the state directory holds the database and a 0600 signing key that is reused")
    func stateDirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url.appendingPathComponent("state"))
        let first = try SQLiteStore.open(state)
        try await first.note("a", at: Date())
        let firstKey = try #require(first.configuration.signingKey)
        try await first.close()

        #expect(state.hasDatabase)
        let attributes = try FileManager.default.attributesOfItem(atPath: state.signingKeyURL.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let second = try SQLiteStore.open(state)
        #expect(second.configuration.signingKey?.keyID == firstKey.keyID)
        #expect(try await second.auditHead().size == 1)

        // The key is not in the database.
        let keyHex = try String(contentsOf: state.signingKeyURL, encoding: .utf8).trimmingCharacters(in: .newlines)
        let database = try Data(contentsOf: state.databaseURL)
        #expect(keyHex.count == 64)
        let keyBytes = try #require(Hex.decode(keyHex))
        #expect(database.range(of: Data(keyBytes)) == nil)
        try await second.close()
    }

    @Test("creating the signing key from two places at once yields one key")
    func keyCreationRace() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = directory.url.appendingPathComponent("audit-signing.key")
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask { try AuditSigningKey.loadOrCreate(at: url).keyID }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(leftovers == ["audit-signing.key"])
    }

    @Test("a signed log whose key file is gone is refused, not given a new key")
    func lostKeyIsNotReplaced() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let writer = try SQLiteStore.open(state)
        try await writer.note("a", at: Date())
        _ = try await writer.signCheckpoint()
        try await writer.close()
        try FileManager.default.removeItem(at: state.signingKeyURL)

        #expect(await storeErrorCode { _ = try SQLiteStore.open(state) } == .signingKeyUnavailable)
        #expect(!FileManager.default.fileExists(atPath: state.signingKeyURL.path), "a new key was written")
        // A database with no checkpoint yet (nothing signed) still gets its key.
        let fresh = StateDirectory(directory.url.appendingPathComponent("fresh"))
        try await SQLiteStore.open(fresh).close()
        try FileManager.default.removeItem(at: fresh.signingKeyURL)
        let reopened = try SQLiteStore.open(fresh)
        #expect(reopened.configuration.signingKey != nil)
        try await reopened.close()
    }

    @Test("opening without creating refuses a missing database and signs nothing without a key")
    func readOnlyOpening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        #expect(throws: StoreError.self) { try SQLiteStore.open(state, createIfMissing: false) }
        do {
            _ = try SQLiteStore.open(state, createIfMissing: false)
        } catch let error as StoreError {
            #expect(error.code == .databaseMissing)
        }
        let writer = try SQLiteStore.open(state)
        try await writer.note("a", at: Date())
        try await writer.close()
        try FileManager.default.removeItem(at: state.signingKeyURL)
        let reader = try SQLiteStore.open(state, createIfMissing: false)
        #expect(reader.configuration.signingKey == nil)
        #expect(try await reader.auditHead().size == 1)
        #expect(await storeErrorCode { _ = try await reader.signCheckpoint() } == .signingKeyUnavailable)
    }

    @Test("a database from a newer Airlock is refused with a clear message")
    func newerSchema() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        try await SQLiteStore.open(state).close()
        let queue = try DatabaseQueue(path: state.databaseURL.path)
        try await queue.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        try queue.close()
        do {
            _ = try SQLiteStore.open(state)
            Issue.record("a newer database was opened")
        } catch let error as StoreError {
            #expect(error.code == .schemaTooNew)
            #expect(error.message.contains("newer Airlock") && error.message.contains("schema version 99"))
            #expect(error.message.contains(state.databaseURL.path))
        }
    }

    @Test("a database with migrations this build does not know is refused too")
    func unknownMigration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        try await SQLiteStore.open(state).close()
        let queue = try DatabaseQueue(path: state.databaseURL.path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2 from the future')")
        }
        try queue.close()
        #expect(throws: StoreError.self) { try SQLiteStore.open(state) }
    }

    @Test("an empty database file from before the schema existed is migrated")
    func olderSchema() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let queue = try DatabaseQueue(path: state.databaseURL.path)
        try await queue.write { db in try db.execute(sql: "CREATE TABLE unrelated (x)") }
        try queue.close()
        let store = try SQLiteStore.open(state)
        try await store.note("a", at: Date())
        try await store.close()
        let check = try DatabaseQueue(path: state.databaseURL.path)
        #expect(try await check.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") } == SQLiteStore.schemaVersion)
        try check.close()
    }

    @Test("two stores on one database file append to one chain")
    func twoProcessesOneChain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let first = try SQLiteStore.open(state) { $0.checkpointEvery = 7 }
        let second = try SQLiteStore.open(state) { $0.checkpointEvery = 7 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in [first, second] {
                group.addTask {
                    for index in 0..<40 {
                        try await store.note("\(index)", at: Date())
                    }
                }
            }
            try await group.waitForAll()
        }
        let report = try await first.verifyAudit(publicKey: try #require(first.configuration.signingKey).publicKey)
        #expect(report.isIntact && report.recordCount == 80 && report.checkpointCount >= 5)
        try await first.close()
        try await second.close()
    }

    @Test("claims a server made do not outlive it: the next one to open the file takes the work up at once")
    func claimsClearedOnOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = StateDirectory(directory.url)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try SQLiteStore.open(state)
        try await first.create("m-1", at: now)
        try await first.move("m-1", .received, .approved, at: now)
        try await first.move("m-1", .approved, .executing, at: now)
        let lease = now.addingTimeInterval(120)
        #expect(try await first.claimStaleMutations(statuses: [.executing], updatedBefore: now, at: now, limit: 10, leaseUntil: lease).map(\.id) == ["m-1"])
        #expect(try await first.claimStaleMutations(statuses: [.executing], updatedBefore: now, at: now, limit: 10, leaseUntil: lease).isEmpty)
        try await first.close()
        // The server died holding the claim; its successor starts within the lease.
        let second = try SQLiteStore.open(state)
        #expect(try await second.claimStaleMutations(statuses: [.executing], updatedBefore: now, at: now, limit: 10, leaseUntil: lease).map(\.id) == ["m-1"])
        try await second.close()
    }
}
