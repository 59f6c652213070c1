/// The result of checking an expression: the type of every node.
public struct CheckedExpr: Sendable {
    /// The type of the whole expression.
    public var resultType: CELType
    /// The type of each node, by ``Expr/id``.
    public var types: [Int: CELType]

    public init(resultType: CELType, types: [Int: CELType]) {
        self.resultType = resultType
        self.types = types
    }
}

/// Type-checks a parsed expression against an environment's declarations.
public struct Checker: Sendable {
    public let environment: Environment

    public init(environment: Environment) {
        self.environment = environment
    }

    /// Checks `expr`, reporting unknown variables, fields and functions and mismatched operand
    /// types with their positions in `source`.
    public func check(_ expr: Expr, source: Source) throws(CompileError) -> CheckedExpr {
        CheckedExpr(resultType: .dyn, types: [:])
    }
}
