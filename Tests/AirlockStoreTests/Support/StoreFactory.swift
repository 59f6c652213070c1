import AirlockCore
@testable import AirlockStore
import AirlockTestSupport
import GRDB
import Foundation
import Testing

/// How a conformance test wants its store: checkpoint cadence and the clock.
struct StoreOptions: Sendable {
    var checkpointEvery = 1000
    var checkpointInterval: TimeInterval = 3600
    var clock = TestClock()
    /// The audit witness file, if the test wants one.
    var witness: URL?
}

/// A store under test, with what a test needs beside it.
struct StoreUnderTest: Sendable {
    var store: any Store
    /// The public key that verifies the store's checkpoints.
    var publicKey: AuditPublicKey
    var clock: TestClock
    var cleanUp: @Sendable () -> Void
    /// Runs SQL straight against the database, behind the store's back, as someone with write
    /// access to it would.
    var tamper: @Sendable ([String]) async throws -> Void
    /// A blob literal in this database's SQL.
    var blob: @Sendable ([UInt8]) -> String
}

/// Makes fresh, empty stores of one implementation. The conformance suite runs every test against
/// every factory in ``all``; the PostgreSQL store adds its factory here.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    var name: String
    var make: @Sendable (StoreOptions) async throws -> StoreUnderTest

    var testDescription: String { name }

    func callAsFunction(_ options: StoreOptions = StoreOptions()) async throws -> StoreUnderTest {
        try await make(options)
    }

    static let all: [StoreFactory] = [.sqliteInMemory, .sqliteFile, .postgres]

    /// PostgreSQL 15: a fresh database in the cluster the test process starts once
    /// (``PostgresCluster/shared()``), over TCP on loopback. A cluster that cannot start fails
    /// the test, saying why.
    static let postgres = StoreFactory(name: "PostgreSQL") { options in
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        let key = AuditSigningKey.generate()
        let store = try await PostgresStore(
            url: cluster.url(database: database),
            configuration: PostgresStore.Configuration(
                signingKey: key, checkpointEvery: options.checkpointEvery, checkpointInterval: options.checkpointInterval,
                now: options.clock.reading, maximumConnections: 4, migrate: true,
                witness: options.witness.map(AuditWitness.init(url:))))
        return StoreUnderTest(
            store: store, publicKey: AuditPublicKey(key.publicKey), clock: options.clock,
            cleanUp: {
                Task {
                    try? await store.close()
                    cluster.discardDatabase(database)
                }
            },
            tamper: { statements in _ = try await cluster.query(statements.joined(separator: ";\n"), database: database) },
            blob: { "'\\x\(Hex.encode($0))'::bytea" })
    }

    /// SQLite on a GRDB `DatabaseQueue` in memory.
    static let sqliteInMemory = StoreFactory(name: "SQLite in memory") { options in
        let key = AuditSigningKey.generate()
        let store = try SQLiteStore.inMemory(configuration: options.configuration(key: key))
        return StoreUnderTest(
            store: store, publicKey: AuditPublicKey(key.publicKey), clock: options.clock, cleanUp: {},
            tamper: { statements in
                try await store.writer.write { db in for sql in statements { try db.execute(sql: sql) } }
            },
            blob: sqliteBlob)
    }

    /// SQLite on a `DatabasePool` in a temporary state directory, FULL sync.
    static let sqliteFile = StoreFactory(name: "SQLite file") { options in
        let directory = try TemporaryDirectory()
        let state = StateDirectory(directory.url)
        let store = try SQLiteStore.open(state) { configuration in
            configuration = options.configuration(key: configuration.signingKey!)
        }
        return StoreUnderTest(
            store: store, publicKey: AuditPublicKey(store.configuration.signingKey!.publicKey), clock: options.clock,
            cleanUp: { directory.remove() },
            tamper: { statements in
                let queue = try DatabaseQueue(path: state.databaseURL.path)
                try await queue.write { db in for sql in statements { try db.execute(sql: sql) } }
                try queue.close()
            },
            blob: sqliteBlob)
    }

    private static let sqliteBlob: @Sendable ([UInt8]) -> String = { "X'\(Hex.encode($0))'" }
}

extension StoreOptions {
    func configuration(key: AuditSigningKey) -> SQLiteStore.Configuration {
        var configuration = SQLiteStore.Configuration(
            signingKey: key, checkpointEvery: checkpointEvery, checkpointInterval: checkpointInterval,
            now: clock.reading)
        configuration.witness = witness.map(AuditWitness.init(url:))
        return configuration
    }
}

/// A directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
