import CEL

/// A resource as the pack declares it: what may be done to it and the schema of its fields.
public struct ResourceSchema: Sendable {
    /// The resource name (`payments.transfer`).
    public var name: String
    /// What the resource is, for people.
    public var description: String?
    /// The operations allowed.
    public var operations: [Mutation.Operation]
    /// Whether a change can be undone exactly.
    public var reversible: Bool
    /// The fields, by name.
    public var fields: [String: FieldSchema]
    /// The field names in declaration order.
    public var fieldOrder: [String]
    /// The numeric field behind `signals.amount_zscore` (the `amount_field` key; by default a
    /// numeric field named `amount`).
    public var amountField: String?
    /// The fields whose new values `signals.first_seen` tracks.
    public var trackedFields: [String]

    /// The fields in declaration order.
    public var orderedFields: [FieldSchema] { fieldOrder.compactMap { fields[$0] } }
}

/// The schema of one field of a resource.
public struct FieldSchema: Sendable {
    /// The field name.
    public var name: String
    /// Its type.
    public var type: FieldType
    /// Whether a `create` must carry it.
    public var required: Bool
    /// Inclusive bounds of a number.
    public var minimum: Double?
    public var maximum: Double?
    /// Bounds of a string's length, in characters.
    public var minLength: Int?
    public var maxLength: Int?
    /// A regular expression (RE2 syntax, as CEL's `matches`) the whole string must match
    /// (anchor it with `^…$`; an unanchored pattern matches anywhere in the string).
    public var pattern: String?
    /// The only values allowed.
    public var allowed: [Value]?
    /// The data class the field carries.
    public var dataClass: String?
    /// Whether `signals.first_seen` tracks the field's values.
    public var trackNew: Bool
    /// What the field is, for people.
    public var description: String?

    /// The compiled `pattern` check.
    var patternProgram: Program?
    /// The rank of ``dataClass`` in the pack's classes.
    var classRank: Int?
}

/// The type of a field's values.
public enum FieldType: String, Sendable, Hashable, CaseIterable {
    /// A string.
    case string
    /// A number, read as a double (`12` becomes `12.0`).
    case number
    /// A whole number, read as an int (`12.0` becomes `12`; `12.5` is an error).
    case integer
    /// `true` or `false`.
    case boolean
    /// Anything, unchecked.
    case any

    /// Whether values are numbers (their z-scores are tracked).
    public var isNumeric: Bool { self == .number || self == .integer }

    /// The CEL type rules see.
    var celType: CELType {
        switch self {
        case .string: .string
        case .number: .double
        case .integer: .int
        case .boolean: .bool
        case .any: .dyn
        }
    }
}
