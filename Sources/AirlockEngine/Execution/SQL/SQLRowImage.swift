import Foundation
import GRDB

/// Every stored column of one row, exactly (type and value), as the marker table keeps it: what
/// a rollback writes back and what it compares the row with.
struct SQLRowImage: Sendable {
    var columns: [(name: String, value: DatabaseValue)]

    init(columns: [(name: String, value: DatabaseValue)]) {
        self.columns = columns
    }

    /// The image of a fetched row, limited to `names` (the table's stored columns).
    init(row: Row, names: [String]) {
        columns = names.map { ($0, row[$0] as DatabaseValue? ?? .null) }
    }

    subscript(name: String) -> DatabaseValue? {
        columns.first { $0.name == name }?.value
    }

    /// The columns whose values differ from `other`'s, as `column: was X, now Y`.
    func differences(from other: SQLRowImage) -> [String] {
        var differences: [String] = []
        for (name, value) in columns {
            let current = other[name] ?? .null
            if !SQLValues.same(value, current) {
                differences.append("\(name): expected \(SQLValues.value(value)), found \(SQLValues.value(current))")
            }
        }
        return differences
    }

    // MARK: Text

    /// A JSON array of `[column, type, text]`: types `null`, `integer`, `real` (shortest text
    /// that reads back as the same double), `text`, `blob` (base64).
    var text: String {
        let entries: [[String?]] = columns.map { name, value in
            switch value.storage {
            case .null: [name, "null", nil]
            case .int64(let i): [name, "integer", String(i)]
            case .double(let d): [name, "real", d.description]
            case .string(let s): [name, "text", s]
            case .blob(let data): [name, "blob", data.base64EncodedString()]
            }
        }
        let data = (try? JSONEncoder().encode(entries)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Reads ``text``; `nil` when it is not an image.
    init?(text: String) {
        guard let entries = try? JSONDecoder().decode([[String?]].self, from: Data(text.utf8)) else { return nil }
        var columns: [(name: String, value: DatabaseValue)] = []
        for entry in entries {
            guard entry.count == 3, let name = entry[0], let type = entry[1] else { return nil }
            let value: DatabaseValue
            switch (type, entry[2]) {
            case ("null", _): value = .null
            case ("integer", let text?):
                guard let i = Int64(text) else { return nil }
                value = i.databaseValue
            case ("real", let text?):
                guard let d = Double(text) else { return nil }
                value = d.databaseValue
            case ("text", let text?): value = text.databaseValue
            case ("blob", let text?):
                guard let data = Data(base64Encoded: text) else { return nil }
                value = data.databaseValue
            default: return nil
            }
            columns.append((name, value))
        }
        self.columns = columns
    }
}
