import CEL
import Foundation
import GRDB

/// Conversions between CEL values and SQLite values.
enum SQLValues {
    /// The SQLite value a CEL value is stored as: booleans as 0 and 1, timestamps and durations
    /// as their JSON text, lists and maps as JSON text, bytes as a blob.
    static func databaseValue(_ value: Value) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .bool(let b): return (b ? 1 : 0 as Int64).databaseValue
        case .int(let i): return i.databaseValue
        case .uint(let u): return Int64(exactly: u)?.databaseValue ?? Double(u).databaseValue
        case .double(let d): return d.databaseValue
        case .string(let s): return s.databaseValue
        case .bytes(let b): return Data(b).databaseValue
        case .type(let t): return t.name.databaseValue
        case .timestamp, .duration:
            let text = value.jsonString()
            return String(text.dropFirst().dropLast()).databaseValue
        case .list, .map: return value.jsonString().databaseValue
        }
    }

    /// The CEL value of a SQLite value.
    static func value(_ value: DatabaseValue) -> Value {
        switch value.storage {
        case .null: .null
        case .int64(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .blob(let data): .bytes(Array(data))
        }
    }

    /// A CEL value as it reads back after being stored.
    static func stored(_ value: Value) -> Value {
        self.value(databaseValue(value))
    }

    /// Whether two SQLite values are the same: numbers by value, the rest exactly.
    static func same(_ lhs: DatabaseValue, _ rhs: DatabaseValue) -> Bool {
        ValueMatching.equal(value(lhs), value(rhs))
    }

    /// A name quoted for SQL.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
