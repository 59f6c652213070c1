/// A compiled expression, ready to evaluate many times against different activations.
public final class Program: Sendable {
    /// The parsed expression.
    public let expression: Expr
    /// The type the checker deduced (`dyn` when compiled unchecked).
    public let resultType: CELType
    /// The cost budget per evaluation.
    public let costLimit: Int?

    init(expression: Expr, resultType: CELType, costLimit: Int?) {
        self.expression = expression
        self.resultType = resultType
        self.costLimit = costLimit
    }

    /// Evaluates the program with the given variables.
    public func evaluate(_ activation: Activation) throws(EvalError) -> Value {
        throw EvalError(.invalidArgument, "evaluator not written yet")
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
        return Program(expression: expr, resultType: resultType, costLimit: options.costLimit)
    }
}
