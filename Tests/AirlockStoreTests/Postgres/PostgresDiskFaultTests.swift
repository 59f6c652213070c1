import AirlockCore
@testable import AirlockStore
import AirlockTestSupport
import Foundation
import Testing

/// A PostgreSQL database whose disk is full or that is read-only: a write is refused with an
/// error that says so in words (the gateway answers it with 503), nothing of it is written, and
/// writes go through again once the database takes them, without reopening the store. The full
/// disk is real: Airlock's tables live in a tablespace on a small tmpfs (root needed, as for the
/// SQLite test; the write-ahead log stays on the cluster's own disk).
@Suite(.sharedResources) struct PostgresDiskFaultTests {
    @Test func aFullDiskIsRefusedSayingSoAndWritesGoOnOnceThereIsSpace() async throws {
        let cluster = try await PostgresCluster.shared()
        let disk: SmallDisk
        do {
            disk = try SmallDisk(megabytes: 6)
            // The server runs as `postgres` when the tests run as root.
            if getuid() == 0 { try disk.give(to: "postgres") }
        } catch {
            Issue.record("\(error)")
            return
        }
        defer { disk.unmount() }
        let tablespace = "airlock_small_\(UUID().uuidString.prefix(8).lowercased())"
        let folder = disk.path + "/tablespace"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        if getuid() == 0 { try disk.give("tablespace", to: "postgres") }
        _ = try await cluster.query("CREATE TABLESPACE \(tablespace) LOCATION '\(folder)'", database: "postgres")
        let database = try await cluster.createDatabase()
        defer {
            // In this order, and done before the disk goes (so in place, not discarded later):
            // the database, then its tablespace.
            _ = try? cluster.query("DROP DATABASE IF EXISTS \(database) WITH (FORCE)", database: "postgres")
            _ = try? cluster.query("DROP TABLESPACE IF EXISTS \(tablespace)", database: "postgres")
        }
        _ = try await cluster.query("ALTER DATABASE \(database) SET default_tablespace = \(tablespace)", database: "postgres")

        let key = AuditSigningKey.generate()
        let store = try await PostgresStore(
            url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: key, migrate: true))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.create("before-0", at: now)
        disk.fill()

        // Pages with room from before take some rows: write until the disk refuses.
        var acknowledged: Set<String> = ["before-0"]
        var refusal: StoreError?
        for n in 1..<5_000 where refusal == nil {
            do {
                try await store.create("full-\(n)", at: now)
                acknowledged.insert("full-\(n)")
            } catch let error as StoreError {
                refusal = error
            }
        }
        let refused = try #require(refusal, "the full disk never refused a write")
        #expect(refused.code == .unavailable)
        #expect(refused.message.contains("its disk is full"), "\(refused)")
        #expect(refused.message.contains("nothing of this change was recorded"), "\(refused)")
        // A second refusal is the same: no half-written state in between.
        await #expect(throws: StoreError.self) { try await store.create("full-again", at: now) }
        let held = Set(try await store.mutations(MutationQuery(limit: 10_000)).map(\.id))
        #expect(held == acknowledged)

        try disk.free()
        // The same store, no reopening: the refused one goes through now.
        try await store.create("after-0", at: now)
        #expect(try await store.mutation(id: "after-0") != nil)
        let report = try await store.verifyAudit(publicKey: key.publicKey)
        #expect(report.isIntact && report.recordCount == Int64(acknowledged.count + 1), "\(report)")
        try await store.close()
    }

    @Test func aReadOnlyDatabaseIsRefusedSayingSo() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        defer { cluster.discardDatabase(database) }
        let url = cluster.url(database: database)
        let migrated = try await PostgresStore(url: url, configuration: PostgresStore.Configuration(signingKey: nil, migrate: true))
        try await migrated.close()
        // Read-only for the sessions opened from now on (as a standby's are).
        _ = try await cluster.query("ALTER DATABASE \(database) SET default_transaction_read_only = on", database: "postgres")
        let store = try await PostgresStore(url: url, configuration: PostgresStore.Configuration(signingKey: nil))
        do {
            try await store.create("m-1", at: Date(timeIntervalSince1970: 1_800_000_000))
            Issue.record("a read-only database took a write")
        } catch let error as StoreError {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("it is read-only"), "\(error)")
            #expect(error.message.contains("nothing of this change was recorded"), "\(error)")
        }
        #expect(try await store.mutation(id: "m-1") == nil)
        try await store.close()
    }
}
