import AirlockStore
import AirlockTestSupport
import Foundation
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
            #expect("\(error)".contains("127.0.0.1:1"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(15))
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
        let cluster = try PostgresCluster.shared()
        let database = try cluster.createDatabase()
        defer { try? cluster.dropDatabase(database) }
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
        _ = try cluster.query("UPDATE airlock_schema SET version = 99", database: database)
        do {
            _ = try await PostgresStore(url: cluster.url(database: database), configuration: PostgresStore.Configuration(signingKey: nil))
            Issue.record("opened a database a newer Airlock wrote")
        } catch let error as StoreError {
            #expect(error.code == .schemaTooNew && "\(error)".contains("schema version 99"), "\(error)")
        }
    }
}
