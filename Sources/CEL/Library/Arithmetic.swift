/// The arithmetic operators.
enum ArithmeticOperator: Sendable {
    case add, subtract, multiply, divide, modulo

    var function: String {
        switch self {
        case .add: Operator.add
        case .subtract: Operator.subtract
        case .multiply: Operator.multiply
        case .divide: Operator.divide
        case .modulo: Operator.modulo
        }
    }
}

/// `a + b`, `a - b`, `a * b`, `a / b`, `a % b`.
struct ArithmeticNode: Interpretable {
    let lhs: any Interpretable
    let rhs: any Interpretable
    let op: ArithmeticOperator
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let left = try lhs.evaluate(&context)
        let right = try rhs.evaluate(&context)
        return try arithmetic(op, left, right, context: &context)
    }
}

/// `-a`.
struct NegateNode: Interpretable {
    let operand: any Interpretable
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let value = try operand.evaluate(&context)
        switch value {
        case .int(let i):
            guard i != .min else { throw EvalError(.overflow, "integer overflow in negation of \(i)") }
            return .int(-i)
        case .double(let d):
            return .double(-d)
        case .duration(let d):
            return .duration(CELDuration(seconds: -d.seconds, nanos: -d.nanos))
        default:
            throw EvalError.noOverload(Operator.negate, value)
        }
    }
}

func arithmetic(
    _ op: ArithmeticOperator, _ lhs: Value, _ rhs: Value, context: inout EvalContext
) throws(EvalError) -> Value {
    switch (lhs, rhs) {
    case let (.int(a), .int(b)): return .int(try intArithmetic(op, a, b))
    case let (.uint(a), .uint(b)): return .uint(try uintArithmetic(op, a, b))
    case let (.double(a), .double(b)):
        switch op {
        case .add: return .double(a + b)
        case .subtract: return .double(a - b)
        case .multiply: return .double(a * b)
        case .divide: return .double(a / b)
        case .modulo: throw EvalError.noOverload(op.function, lhs, rhs)
        }
    case let (.string(a), .string(b)) where op == .add:
        try context.spend((a.utf8.count + b.utf8.count) / 64)
        return .string(a + b)
    case let (.bytes(a), .bytes(b)) where op == .add:
        try context.spend((a.count + b.count) / 64)
        return .bytes(a + b)
    case let (.list(a), .list(b)) where op == .add:
        try context.spend((a.count + b.count) / 8 + 1)
        if a.isEmpty { return rhs }
        if b.isEmpty { return lhs }
        return .list(a + b)
    case let (.timestamp(t), .duration(d)) where op == .add || op == .subtract:
        return .timestamp(try addDuration(t, op == .add ? d : negated(d)))
    case let (.duration(d), .timestamp(t)) where op == .add:
        return .timestamp(try addDuration(t, d))
    case let (.duration(a), .duration(b)) where op == .add || op == .subtract:
        return .duration(try addDurations(a, op == .add ? b : negated(b)))
    case let (.timestamp(a), .timestamp(b)) where op == .subtract:
        return .duration(
            try normalizedDuration(seconds: a.seconds - b.seconds, nanos: Int64(a.nanos) - Int64(b.nanos)))
    default:
        throw EvalError.noOverload(op.function, lhs, rhs)
    }
}

private func intArithmetic(_ op: ArithmeticOperator, _ a: Int64, _ b: Int64) throws(EvalError) -> Int64 {
    let result: (partialValue: Int64, overflow: Bool)
    switch op {
    case .add: result = a.addingReportingOverflow(b)
    case .subtract: result = a.subtractingReportingOverflow(b)
    case .multiply: result = a.multipliedReportingOverflow(by: b)
    case .divide:
        guard b != 0 else { throw EvalError(.divisionByZero, "division by zero") }
        result = a.dividedReportingOverflow(by: b)
    case .modulo:
        guard b != 0 else { throw EvalError(.moduloByZero, "modulus by zero") }
        result = a.remainderReportingOverflow(dividingBy: b)
    }
    if result.overflow { throw EvalError(.overflow, "integer overflow in \(a) \(op.symbol) \(b)") }
    return result.partialValue
}

private func uintArithmetic(_ op: ArithmeticOperator, _ a: UInt64, _ b: UInt64) throws(EvalError) -> UInt64 {
    let result: (partialValue: UInt64, overflow: Bool)
    switch op {
    case .add: result = a.addingReportingOverflow(b)
    case .subtract: result = a.subtractingReportingOverflow(b)
    case .multiply: result = a.multipliedReportingOverflow(by: b)
    case .divide:
        guard b != 0 else { throw EvalError(.divisionByZero, "division by zero") }
        result = (a / b, false)
    case .modulo:
        guard b != 0 else { throw EvalError(.moduloByZero, "modulus by zero") }
        result = (a % b, false)
    }
    if result.overflow { throw EvalError(.overflow, "unsigned integer overflow in \(a)u \(op.symbol) \(b)u") }
    return result.partialValue
}

extension ArithmeticOperator {
    var symbol: String {
        switch self {
        case .add: "+"
        case .subtract: "-"
        case .multiply: "*"
        case .divide: "/"
        case .modulo: "%"
        }
    }
}

private func negated(_ d: CELDuration) -> CELDuration { CELDuration(seconds: -d.seconds, nanos: -d.nanos) }

/// A duration from seconds and nanoseconds that may need carrying; an error outside CEL's range.
func normalizedDuration(seconds: Int64, nanos: Int64) throws(EvalError) -> CELDuration {
    var s = seconds + nanos / 1_000_000_000
    var n = nanos % 1_000_000_000
    if s > 0 && n < 0 {
        s -= 1
        n += 1_000_000_000
    } else if s < 0 && n > 0 {
        s += 1
        n -= 1_000_000_000
    }
    let duration = CELDuration(seconds: s, nanos: Int32(n))
    guard duration.isValid else { throw EvalError(.overflow, "duration out of range") }
    return duration
}

func addDurations(_ a: CELDuration, _ b: CELDuration) throws(EvalError) -> CELDuration {
    try normalizedDuration(seconds: a.seconds + b.seconds, nanos: Int64(a.nanos) + Int64(b.nanos))
}

func addDuration(_ t: Timestamp, _ d: CELDuration) throws(EvalError) -> Timestamp {
    var s = t.seconds + d.seconds
    var n = Int64(t.nanos) + Int64(d.nanos)
    if n >= 1_000_000_000 {
        s += 1
        n -= 1_000_000_000
    } else if n < 0 {
        s -= 1
        n += 1_000_000_000
    }
    let result = Timestamp(seconds: s, nanos: Int32(n))
    guard result.isValid else { throw EvalError(.overflow, "timestamp out of range") }
    return result
}
