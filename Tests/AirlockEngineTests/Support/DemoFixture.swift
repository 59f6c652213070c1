import AirlockEngine
import CEL
import Foundation
import GRDB

/// The demo database in a temporary directory, with its executors, and direct access to its rows
/// for checking what the executors did and for changing rows behind their back.
final class DemoFixture {
    let directory: TemporaryDirectory
    let path: String
    let executors: Executors

    /// The demo database with executors on `clock` (the system's unless given).
    init(clock: any GatewayClock = SystemClock()) throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/" + DemoDatabase.fileName
        try DemoDatabase.create(at: path)
        executors = try DemoDatabase.executorConfiguration(databasePath: path).makeExecutors(clock: clock)
    }

    func executor(_ resource: String) -> any Executor { executors.executor(for: resource) }

    /// A row's columns, or `nil` when there is none.
    func row(_ table: String, _ id: String) throws -> [String: DatabaseValue]? {
        let database = try DatabaseQueue(path: path)
        return try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE id = ?", arguments: [id]).map { row in
                Dictionary(uniqueKeysWithValues: row.columnNames.map { ($0, row[$0] as DatabaseValue) })
            }
        }
    }

    /// Runs SQL on the database as someone else would.
    func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
        let database = try DatabaseQueue(path: path)
        try database.write { db in try db.execute(sql: sql, arguments: arguments) }
    }

    /// The number of rows of a query's first column.
    func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        let database = try DatabaseQueue(path: path)
        return try database.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    /// The first column of a query's rows, as text.
    func strings(_ sql: String, _ arguments: StatementArguments = []) throws -> [String] {
        let database = try DatabaseQueue(path: path)
        return try database.read { db in try String.fetchAll(db, sql: sql, arguments: arguments) }
    }

    func balance(_ account: String) throws -> Double {
        let database = try DatabaseQueue(path: path)
        return try database.read { db in
            try Double.fetchOne(db, sql: "SELECT balance FROM accounts WHERE id = ?", arguments: [account]) ?? .nan
        }
    }
}

extension CELMap {
    /// A map from a literal, for tests: `["price": .double(18)]`.
    static func of(_ entries: KeyValuePairs<String, Value>) -> CELMap {
        CELMap(entries.map { (MapKey.string($0.key), $0.value) })
    }
}

extension Value {
    /// The value as JSON text, to compare in expectations (`Value` is not `Equatable`).
    var json: String { jsonString() }
}
