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

/// The fold behind every macro: iterate a list's elements or a map's keys; with a second
/// variable, a list's indexes and elements or a map's keys and values.
struct ComprehensionNode: Interpretable {
    let iterSlot: Int
    /// The slot of the second variable, in a two-variable comprehension.
    let iterSlot2: Int?
    let accuSlot: Int
    let range: any Interpretable
    let accuInit: any Interpretable
    let condition: any Interpretable
    let step: any Interpretable
    let result: any Interpretable

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let collection = try range.evaluate(&context)
        context.locals[accuSlot] = try accuInit.evaluate(&context)
        switch (collection, iterSlot2) {
        case (.list(let list), nil):
            for element in list {
                if try !iterate(element, &context) { break }
            }
        case (.list(let list), let iterSlot2?):
            for (index, element) in list.enumerated() {
                context.locals[iterSlot2] = element
                if try !iterate(.int(Int64(index)), &context) { break }
            }
        case (.map(let map), nil):
            for key in map.keys {
                if try !iterate(key.value, &context) { break }
            }
        case (.map(let map), let iterSlot2?):
            for (key, value) in map.entries {
                context.locals[iterSlot2] = value
                if try !iterate(key.value, &context) { break }
            }
        default:
            throw EvalError(
                .noMatchingOverload, "cannot iterate over a value of type \(collection.typeValue.name)")
        }
        let value = try result.evaluate(&context)
        context.locals[accuSlot] = .null
        context.locals[iterSlot] = .null
        if let iterSlot2 { context.locals[iterSlot2] = .null }
        return value
    }

    /// One step, the second variable (if any) already set; false when the loop condition says
    /// stop.
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

/// `cel.@mapInsert(m, k, v)` and `cel.@mapInsert(m, n)`, the steps of `transformMap` and
/// `transformMapEntry`: `m` with the entry `k: v`, or every entry of the map `n`, added. A key
/// `m` already has is an error.
struct MapInsertNode: Interpretable {
    let map: any Interpretable
    /// The key of the entry to add; nil when `value` is a map of entries to add.
    let key: (any Interpretable)?
    let value: any Interpretable
    /// The slot `map` reads when it is the accumulator of the enclosing fold, whose step this is:
    /// the map is then taken out of the slot (and changed in place) rather than copied.
    let takenSlot: Int?

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        // The map last, so that the key and value still see the accumulator in its slot.
        let key = try self.key?.evaluate(&context)
        let value = try self.value.evaluate(&context)
        var target: Value
        if let takenSlot {
            target = context.locals[takenSlot]
            context.locals[takenSlot] = .null
        } else {
            target = try map.evaluate(&context)
        }
        guard case .map(var result) = target else {
            throw key.map { EvalError.noOverload(Operator.mapInsert, target, $0, value) }
                ?? EvalError.noOverload(Operator.mapInsert, target, value)
        }
        target = .null
        if let key {
            try insert(try mapLiteralKey(key), value, into: &result)
        } else {
            guard case .map(let entries) = value else {
                throw EvalError.noOverload(Operator.mapInsert, .map(result), value)
            }
            for (key, value) in entries.entries { try insert(key, value, into: &result) }
        }
        return .map(result)
    }

    private func insert(_ key: MapKey, _ value: Value, into map: inout CELMap) throws(EvalError) {
        guard map[key] == nil else {
            let macro = self.key == nil ? "transformMapEntry" : "transformMap"
            throw EvalError(.invalidArgument, "\(macro)() produced the key \(key) twice")
        }
        map[key] = value
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

/// `range.exists(x, p)` and `range.all(x, p)`, and their two-variable forms, recognised in the
/// macro's expansion and run without the general fold's accumulator: the loop stops at the first
/// deciding element, and errors count only when no element decides (as the expansion's `||`/`&&`
/// would have it).
struct QuantifierNode: Interpretable {
    /// True for `exists` (any element true decides), false for `all` (any false decides).
    let existential: Bool
    let iterSlot: Int
    /// The slot of the second variable (the element or the value), in the two-variable form.
    let iterSlot2: Int?
    let range: any Interpretable
    let predicate: any Interpretable

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let collection = try range.evaluate(&context)
        var deferred: EvalError?
        switch (collection, iterSlot2) {
        case (.list(let list), nil):
            for i in list.indices {
                if try decides(list[i], &context, &deferred) { return .bool(existential) }
            }
        case (.list(let list), let iterSlot2?):
            for i in list.indices {
                context.locals[iterSlot2] = list[i]
                if try decides(.int(Int64(i)), &context, &deferred) { return .bool(existential) }
            }
        case (.map(let map), nil):
            for key in map.keys {
                if try decides(key.value, &context, &deferred) { return .bool(existential) }
            }
        case (.map(let map), let iterSlot2?):
            for (key, value) in map.entries {
                context.locals[iterSlot2] = value
                if try decides(key.value, &context, &deferred) { return .bool(existential) }
            }
        default:
            throw EvalError(.noMatchingOverload, "cannot iterate over a value of type \(collection.typeValue.name)")
        }
        clearVariables(&context)
        if let deferred { throw deferred }
        return .bool(!existential)
    }

    /// Evaluates the predicate for one element (the second variable already set), and whether
    /// its result decides the quantifier.
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
                clearVariables(&context)
                return true
            }
        } catch {
            if error.kind == .costLimitExceeded { throw error }
            deferred = deferred ?? error
        }
        return false
    }

    @inline(__always)
    private func clearVariables(_ context: inout EvalContext) {
        context.locals[iterSlot] = .null
        if let iterSlot2 { context.locals[iterSlot2] = .null }
    }
}
