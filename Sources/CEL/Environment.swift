/// The declarations an expression is compiled against: its variables and their types.
///
/// ```swift
/// let env = Environment(variables: ["x": .int])
/// let program = try env.compile("x + 1")
/// let result = try program.evaluate(Activation(["x": .int(41)]))
/// ```
public struct Environment: Sendable {
    /// The declared variables.
    public var variables: [String: CELType]

    public init(variables: [String: CELType] = [:]) {
        self.variables = variables
    }
}

/// How an expression is compiled.
public struct CompileOptions: Sendable {
    /// Type-check against the environment (on by default). When off, unknown variables and
    /// type mismatches surface only as evaluation errors.
    public var check: Bool
    /// Expand the standard macros (`has`, `all`, `exists`, …).
    public var macros: Bool
    /// The cost budget of one evaluation; `nil` for no limit.
    public var costLimit: Int?

    public init(check: Bool = true, macros: Bool = true, costLimit: Int? = 1_000_000) {
        self.check = check
        self.macros = macros
        self.costLimit = costLimit
    }
}
