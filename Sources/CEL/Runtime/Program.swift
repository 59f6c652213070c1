/// A compiled expression, ready to evaluate many times against different activations.
/// Immutable and safe to share between threads.
public final class Program: Sendable {
    /// The parsed expression.
    public let expression: Expr
    /// The type the checker deduced (`dyn` when compiled unchecked).
    public let resultType: CELType
    /// The cost budget per evaluation.
    public let costLimit: Int?
    private let root: any Interpretable
    private let localCount: Int

    init(expression: Expr, resultType: CELType, costLimit: Int?, declared: Set<String>?) {
        self.expression = expression
        self.resultType = resultType
        self.costLimit = costLimit
        var planner = Planner(declared: declared)
        self.root = planner.plan(expression)
        self.localCount = planner.slotCount
    }

    /// Evaluates the program with the given variables. Errors (a missing key, an overflow, a
    /// cost limit reached, …) are thrown, never returned as values.
    public func evaluate(_ activation: Activation) throws(EvalError) -> Value {
        try withUnsafePointer(to: activation) { activation throws(EvalError) -> Value in
            try evaluate(activation)
        }
    }

    private func evaluate(_ activation: UnsafePointer<Activation>) throws(EvalError) -> Value {
        let limit = costLimit ?? Int.max
        if localCount == 0 {
            var context = EvalContext(
                activationPointer: activation, locals: UnsafeMutableBufferPointer(start: nil, count: 0), cost: 0,
                costLimit: limit)
            return try root.evaluate(&context)
        }
        let outcome: Result<Value, EvalError> = withUnsafeTemporaryAllocation(of: Value.self, capacity: localCount) {
            locals in
            locals.initialize(repeating: .null)
            defer { locals.deinitialize() }
            var context = EvalContext(activationPointer: activation, locals: locals, cost: 0, costLimit: limit)
            do throws(EvalError) {
                return .success(try root.evaluate(&context))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}

extension Environment {
    /// Parses, checks (unless `options.check` is off) and plans an expression.
    public func compile(_ text: String, options: CompileOptions = CompileOptions()) throws(CompileError) -> Program {
        let source = Source(text)
        let expr = try Parser.parse(source, macros: options.macros)
        var resultType = CELType.dyn
        if options.check {
            resultType = try Checker(environment: self).check(expr, source: source).resultType
        }
        return Program(
            expression: expr, resultType: resultType, costLimit: options.costLimit,
            declared: options.check ? Set(variables.keys) : nil)
    }
}
