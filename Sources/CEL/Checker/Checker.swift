/// The result of checking an expression: the type of every node.
public struct CheckedExpr: Sendable {
    /// The type of the whole expression.
    public var resultType: CELType
    /// The type of each node, by ``Expr/id``. Type parameters left free are `dyn`. The inner
    /// nodes of a qualified name that resolved as a whole (`a.b` in `a.b.c` when `a.b.c` is a
    /// declared variable) have no entry.
    public var types: [Int: CELType]

    public init(resultType: CELType, types: [Int: CELType]) {
        self.resultType = resultType
        self.types = types
    }
}

/// Type-checks a parsed expression against an environment's declarations.
///
/// Names resolve innermost first: comprehension variables, then the environment's variables
/// (for `a.b.c`, the longest declared prefix among `a.b.c`, `a.b`, `a`; the rest are field
/// selections), then the type denotations (`int`, `list`, `google.protobuf.Timestamp`, …).
/// Selecting a field the object shape does not declare is an error unless the shape is open;
/// on `dyn` and maps any field is accepted. Calls resolve against ``StandardDeclarations``; an
/// argument of type `dyn` matches every parameter. Equality needs both sides of one type (or
/// one side `dyn`); ordering also accepts mixed `int`, `uint` and `double`.
public struct Checker: Sendable {
    public let environment: Environment

    public init(environment: Environment) {
        self.environment = environment
    }

    /// Checks `expr`, reporting unknown variables, fields and functions and mismatched operand
    /// types with their positions in `source`. Every problem found is reported, in source order;
    /// a subexpression already in error does not cause more messages.
    public func check(_ expr: Expr, source: Source) throws(CompileError) -> CheckedExpr {
        var pass = CheckerPass(environment: environment)
        pass.check(expr)
        guard pass.problems.isEmpty else {
            let issues = pass.problems.enumerated()
                .sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }
                .map { Issue(location: source.location(of: $0.element.offset), message: $0.element.message) }
            throw CompileError(stage: .check, issues: issues, source: source)
        }
        let types = pass.types.mapValues { pass.substitution.resolve($0, freeAsDyn: true) }
        return CheckedExpr(resultType: types[expr.id] ?? .dyn, types: types)
    }
}
