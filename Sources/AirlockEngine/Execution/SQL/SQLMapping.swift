/// Where a resource's records live in a SQLite database: one row per record, found by its key
/// column, with a column per field.
public struct SQLMapping: Sendable, Hashable {
    /// A field of the resource and the column that holds it.
    public struct Field: Sendable, Hashable {
        /// The field name, as the policy pack declares it.
        public var name: String
        /// The column name.
        public var column: String

        public init(name: String, column: String) {
            self.name = name
            self.column = column
        }
    }

    /// The SQLite database file; it must exist.
    public var databasePath: String
    /// The table.
    public var table: String
    /// The column holding a record's key (the mutation's `target`).
    public var keyColumn: String
    /// The mapped fields, in order.
    public var fields: [Field]

    public init(databasePath: String, table: String, keyColumn: String, fields: [Field]) {
        self.databasePath = databasePath
        self.table = table
        self.keyColumn = keyColumn
        self.fields = fields
    }

    /// A mapping whose columns are named like their fields.
    public init(databasePath: String, table: String, keyColumn: String, sameNamedFields: [String]) {
        self.init(
            databasePath: databasePath, table: table, keyColumn: keyColumn,
            fields: sameNamedFields.map { Field(name: $0, column: $0) })
    }

    /// The column of a field, if mapped.
    public func column(of field: String) -> String? {
        fields.first { $0.name == field }?.column
    }

    /// Whether a name may be used as a table or column name: letters, digits and `_`, not
    /// starting with a digit.
    public static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0))
        }
    }
}
