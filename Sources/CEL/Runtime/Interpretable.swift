/// What one evaluation carries: the variables, the comprehension locals and the cost spent.
struct EvalContext {
    /// The activation, borrowed from the caller of ``Program/evaluate(_:)`` for the evaluation
    /// (not copied: a copy would cost two reference counts per evaluation).
    let activationPointer: UnsafePointer<Activation>
    var activation: Activation {
        unsafeAddress { activationPointer }
    }
    /// Slots of comprehension variables (iteration variables and accumulators).
    let locals: UnsafeMutableBufferPointer<Value>
    var cost: Int
    let costLimit: Int

    /// Adds to the cost and stops the evaluation when the budget is spent.
    @inline(__always)
    mutating func spend(_ amount: Int) throws(EvalError) {
        cost &+= amount
        if cost > costLimit {
            throw EvalError(
                .costLimitExceeded,
                "evaluation cost exceeded the limit of \(costLimit) (runaway expression?)")
        }
    }
}

/// A planned node: evaluates itself against a context. Planned once per compiled program.
protocol Interpretable: Sendable {
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value
}

/// A constant, folded at plan time.
struct ConstantNode: Interpretable {
    let value: Value
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value { value }
}

/// A node that always fails the same way (an unknown function in an unchecked program, say).
struct FailingNode: Interpretable {
    let error: EvalError
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value { throw error }
}
