/// `[a, b, …]`.
struct ListNode: Interpretable {
    let elements: [any Interpretable]
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        var values: [Value] = []
        values.reserveCapacity(elements.count)
        for element in elements { values.append(try element.evaluate(&context)) }
        return .list(values)
    }
}

/// `{k: v, …}`. A repeated key is an error.
struct MapNode: Interpretable {
    let entries: [(key: any Interpretable, value: any Interpretable)]
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        var map = CELMap()
        for entry in entries {
            let key = try mapLiteralKey(try entry.key.evaluate(&context))
            let value = try entry.value.evaluate(&context)
            if map[key] != nil { throw EvalError(.invalidArgument, "Failed with repeated key: \(key)") }
            map[key] = value
        }
        return .map(map)
    }
}

/// The fold behind every macro: iterate a list's elements or a map's keys.
struct ComprehensionNode: Interpretable {
    let iterSlot: Int
    let accuSlot: Int
    let range: any Interpretable
    let accuInit: any Interpretable
    let condition: any Interpretable
    let step: any Interpretable
    let result: any Interpretable

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let collection = try range.evaluate(&context)
        context.locals[accuSlot] = try accuInit.evaluate(&context)
        switch collection {
        case .list(let list):
            for element in list {
                if try !iterate(element, &context) { break }
            }
        case .map(let map):
            for key in map.keys {
                if try !iterate(key.value, &context) { break }
            }
        default:
            throw EvalError(
                .noMatchingOverload, "cannot iterate over a value of type \(collection.typeValue.name)")
        }
        let value = try result.evaluate(&context)
        context.locals[accuSlot] = .null
        context.locals[iterSlot] = .null
        return value
    }

    /// One step; false when the loop condition says stop.
    @inline(__always)
    private func iterate(_ element: Value, _ context: inout EvalContext) throws(EvalError) -> Bool {
        try context.spend(1)
        context.locals[iterSlot] = element
        let proceed = try condition.evaluate(&context)
        guard case .bool(let go) = proceed else {
            throw EvalError(.noMatchingOverload, "comprehension loop condition is not a bool")
        }
        if !go { return false }
        context.locals[accuSlot] = try step.evaluate(&context)
        return true
    }
}

/// A call of a standard function, dispatched on its arguments' kinds at run time.
struct CallNode: Interpretable {
    let function: String
    let implementation: Function
    let arguments: [any Interpretable]

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        switch arguments.count {
        case 1:
            let a = try arguments[0].evaluate(&context)
            return try implementation.call(function, [a], &context)
        case 2:
            let a = try arguments[0].evaluate(&context)
            let b = try arguments[1].evaluate(&context)
            return try implementation.call(function, [a, b], &context)
        default:
            var values: [Value] = []
            values.reserveCapacity(arguments.count)
            for argument in arguments { values.append(try argument.evaluate(&context)) }
            return try implementation.call(function, values, &context)
        }
    }
}

/// A standard function's implementation: receives the evaluated arguments (a receiver first).
struct Function: Sendable {
    let call: @Sendable (_ name: String, _ args: [Value], _ context: inout EvalContext) throws(EvalError) -> Value
}

/// `range.exists(x, p)` and `range.all(x, p)`, recognised in the macro's expansion and run
/// without the general fold's accumulator: the loop stops at the first deciding element, and
/// errors count only when no element decides (as the expansion's `||`/`&&` would have it).
struct QuantifierNode: Interpretable {
    /// True for `exists` (any element true decides), false for `all` (any false decides).
    let existential: Bool
    let iterSlot: Int
    let range: any Interpretable
    let predicate: any Interpretable

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let collection = try range.evaluate(&context)
        var deferred: EvalError?
        switch collection {
        case .list(let list):
            for i in list.indices {
                if try decides(list[i], &context, &deferred) { return .bool(existential) }
            }
        case .map(let map):
            for key in map.keys {
                if try decides(key.value, &context, &deferred) { return .bool(existential) }
            }
        default:
            throw EvalError(.noMatchingOverload, "cannot iterate over a value of type \(collection.typeValue.name)")
        }
        context.locals[iterSlot] = .null
        if let deferred { throw deferred }
        return .bool(!existential)
    }

    @inline(__always)
    private func decides(_ element: Value, _ context: inout EvalContext, _ deferred: inout EvalError?) throws(EvalError)
        -> Bool
    {
        try context.spend(1)
        context.locals[iterSlot] = element
        do throws(EvalError) {
            let value = try predicate.evaluate(&context)
            guard case .bool(let b) = value else {
                throw EvalError.noOverload(existential ? Operator.logicalOr : Operator.logicalAnd, value)
            }
            if b == existential {
                context.locals[iterSlot] = .null
                return true
            }
        } catch {
            if error.kind == .costLimitExceeded { throw error }
            deferred = deferred ?? error
        }
        return false
    }
}
