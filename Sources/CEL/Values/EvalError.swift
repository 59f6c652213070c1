/// An error raised while evaluating an expression: no matching overload, a missing key,
/// an overflow, division by zero, a cost limit reached, and so on.
public struct EvalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error. Extensible; match on it only where the kind matters.
    public struct Kind: Sendable, Hashable {
        let raw: String
        public static let noMatchingOverload = Kind(raw: "no_matching_overload")
        public static let noSuchKey = Kind(raw: "no_such_key")
        public static let noSuchField = Kind(raw: "no_such_field")
        public static let noSuchAttribute = Kind(raw: "no_such_attribute")
        public static let overflow = Kind(raw: "overflow")
        public static let divisionByZero = Kind(raw: "division_by_zero")
        public static let moduloByZero = Kind(raw: "modulo_by_zero")
        public static let indexOutOfRange = Kind(raw: "index_out_of_range")
        public static let invalidArgument = Kind(raw: "invalid_argument")
        public static let unboundVariable = Kind(raw: "unbound_variable")
        public static let costLimitExceeded = Kind(raw: "cost_limit_exceeded")
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func noOverload(_ function: String, _ args: Value...) -> EvalError {
        EvalError(
            .noMatchingOverload,
            "no matching overload for '\(function)' applied to (\(args.map { $0.typeValue.name }.joined(separator: ", ")))"
        )
    }
}
