/// Rows of text in aligned columns, for a terminal: each column as wide as its widest cell, two
/// spaces between columns, the last column never padded.
struct TextTable {
    var header: [String]?
    var rows: [[String]] = []
    /// Text put before every line.
    var indent = ""

    init(header: [String]? = nil, indent: String = "") {
        self.header = header
        self.indent = indent
    }

    mutating func append(_ row: [String]) { rows.append(row) }

    /// The table's lines.
    var lines: [String] {
        let all = (header.map { [$0] } ?? []) + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return all.map { row in
            var line = indent
            for (i, cell) in row.enumerated() {
                let isLast = i == row.count - 1
                line += isLast ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
    }

    /// The table as one text.
    var text: String { lines.joined(separator: "\n") }
}
