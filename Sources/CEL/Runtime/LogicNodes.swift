/// `a && b`: false wins over errors, from either side.
struct AndNode: Interpretable {
    let lhs: any Interpretable
    let rhs: any Interpretable
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        var deferred: EvalError?
        do throws(EvalError) {
            let left = try lhs.evaluate(&context)
            guard case .bool(let l) = left else {
                throw EvalError.noOverload(Operator.logicalAnd, left)
            }
            if !l { return .bool(false) }
        } catch {
            if error.kind == .costLimitExceeded { throw error }
            deferred = error
        }
        let right = try rhs.evaluate(&context)
        guard case .bool(let r) = right else {
            throw deferred ?? EvalError.noOverload(Operator.logicalAnd, right)
        }
        if !r { return .bool(false) }
        if let deferred { throw deferred }
        return .bool(true)
    }
}

/// `a || b`: true wins over errors, from either side.
struct OrNode: Interpretable {
    let lhs: any Interpretable
    let rhs: any Interpretable
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        var deferred: EvalError?
        do throws(EvalError) {
            let left = try lhs.evaluate(&context)
            guard case .bool(let l) = left else {
                throw EvalError.noOverload(Operator.logicalOr, left)
            }
            if l { return .bool(true) }
        } catch {
            if error.kind == .costLimitExceeded { throw error }
            deferred = error
        }
        let right: Value
        do throws(EvalError) {
            right = try rhs.evaluate(&context)
        } catch {
            throw deferred ?? error
        }
        guard case .bool(let r) = right else {
            throw deferred ?? EvalError.noOverload(Operator.logicalOr, right)
        }
        if r { return .bool(true) }
        if let deferred { throw deferred }
        return .bool(false)
    }
}

/// `!a`.
struct NotNode: Interpretable {
    let operand: any Interpretable
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let value = try operand.evaluate(&context)
        guard case .bool(let b) = value else { throw EvalError.noOverload(Operator.logicalNot, value) }
        return .bool(!b)
    }
}

/// `@not_strictly_false(a)`: true unless `a` is false; errors count as true.
struct NotStrictlyFalseNode: Interpretable {
    let operand: any Interpretable
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        do throws(EvalError) {
            if case .bool(false) = try operand.evaluate(&context) { return .bool(false) }
        } catch {
            if error.kind == .costLimitExceeded { throw error }
        }
        return .bool(true)
    }
}

/// `c ? a : b`.
struct ConditionalNode: Interpretable {
    let condition: any Interpretable
    let then: any Interpretable
    let otherwise: any Interpretable
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let value = try condition.evaluate(&context)
        guard case .bool(let c) = value else { throw EvalError.noOverload(Operator.conditional, value) }
        return c ? try then.evaluate(&context) : try otherwise.evaluate(&context)
    }
}

/// `a == b` and `a != b`.
struct EqualityNode: Interpretable {
    let lhs: any Interpretable
    let rhs: any Interpretable
    let negated: Bool
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let left = try lhs.evaluate(&context)
        let right = try rhs.evaluate(&context)
        return .bool(valuesEqual(left, right) != negated)
    }
}

/// `<`, `<=`, `>`, `>=`.
struct RelationNode: Interpretable {
    enum Relation { case less, lessEquals, greater, greaterEquals }
    let lhs: any Interpretable
    let rhs: any Interpretable
    let relation: Relation
    let function: String
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let left = try lhs.evaluate(&context)
        let right = try rhs.evaluate(&context)
        guard let order = try compareValues(left, right, function: function) else {
            return .bool(false)  // NaN compares false with everything
        }
        switch relation {
        case .less: return .bool(order < 0)
        case .lessEquals: return .bool(order <= 0)
        case .greater: return .bool(order > 0)
        case .greaterEquals: return .bool(order >= 0)
        }
    }
}

/// `a in b`.
struct InNode: Interpretable {
    let element: any Interpretable
    let container: any Interpretable
    /// The container when it can be searched in place (`"pii" in data.classes`).
    let place: Place?
    /// The element when it is a constant ASCII string (`"pii" in data.classes`).
    let asciiElement: String?

    init(element: any Interpretable, container: any Interpretable) {
        self.element = element
        self.container = container
        self.place = Place(container)
        if let constant = element as? ConstantNode, case .string(let s) = constant.value, s.utf8.allSatisfy({ $0 < 0x80 }) {
            asciiElement = s
        } else {
            asciiElement = nil
        }
    }

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let value = try element.evaluate(&context)
        // A search costs one per eight elements, charged once it is done (the outcome is the
        // same: over the budget, the evaluation stops).
        var cost = 0
        let found: Bool
        if let place {
            found = try place.withValue(context) { collection throws(EvalError) in
                try contains(collection.pointee, value, cost: &cost)
            }
        } else {
            found = try contains(try container.evaluate(&context), value, cost: &cost)
        }
        try context.spend(cost)
        return .bool(found)
    }

    @inline(__always)
    private func contains(_ collection: Value, _ value: Value, cost: inout Int) throws(EvalError) -> Bool {
        switch collection {
        case .list(let list):
            cost = list.count / 8
            return list.withUnsafeBufferPointer { list -> Bool in
                if let asciiElement {
                    for i in 0..<list.count {
                        if case .string(let s) = list[i] {
                            if identical(s, asciiConstant: asciiElement) { return true }
                        } else if valuesEqual(list[i], value) {
                            return true
                        }
                    }
                    return false
                }
                // A string searched among strings (`x in lists.frozen`): compared in place, without
                // the general equality's copies.
                if case .string(let needle) = value {
                    for i in 0..<list.count {
                        if case .string(let s) = list[i] {
                            if identical(s, needle) { return true }
                        } else if valuesEqual(list[i], value) {
                            return true
                        }
                    }
                    return false
                }
                for i in 0..<list.count where valuesEqual(list[i], value) { return true }
                return false
            }
        case .map(let map):
            switch value {
            case .string, .int, .uint, .bool, .double:
                guard let key = try mapLookupKey(value) else { return false }
                return map[key] != nil
            default:
                return false
            }
        default:
            throw EvalError.noOverload(Operator.in, value, collection)
        }
    }
}

/// `x == constant` or `x != constant` (either side): the constant is compared in place.
struct EqualsConstantNode: Interpretable {
    let operand: any Interpretable
    /// The operand when it can be compared where it lies.
    let place: Place?
    let constant: Value
    let negated: Bool
    /// The constant when it is an ASCII string, for the quick comparison.
    let asciiString: String?

    init(operand: any Interpretable, constant: Value, negated: Bool) {
        self.operand = operand
        self.place = Place(operand)
        self.constant = constant
        self.negated = negated
        if case .string(let s) = constant, s.utf8.allSatisfy({ $0 < 0x80 }) {
            asciiString = s
        } else {
            asciiString = nil
        }
    }

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        if let place { return .bool(try place.withValue(context) { value throws(EvalError) in equals(value.pointee) }) }
        return .bool(equals(try operand.evaluate(&context)))
    }

    @inline(__always)
    private func equals(_ value: Value) -> Bool {
        if let asciiString, case .string(let s) = value {
            return identical(s, asciiConstant: asciiString) != negated
        }
        return valuesEqual(value, constant) != negated
    }
}

/// `x < constant` and the other relations, with the constant on the right (the planner flips
/// `constant < x` into `x > constant`).
struct RelationConstantNode: Interpretable {
    let operand: any Interpretable
    /// The operand when it can be compared where it lies.
    let place: Place?
    let constant: Value
    let relation: RelationNode.Relation
    let function: String

    init(operand: any Interpretable, constant: Value, relation: RelationNode.Relation, function: String) {
        self.operand = operand
        self.place = Place(operand)
        self.constant = constant
        self.relation = relation
        self.function = function
    }

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        if let place { return .bool(try place.withValue(context) { value throws(EvalError) in try holds(value.pointee) }) }
        return .bool(try holds(try operand.evaluate(&context)))
    }

    @inline(__always)
    private func holds(_ value: Value) throws(EvalError) -> Bool {
        let order: Int?
        // The common case, a double against a double constant, without the general dispatch.
        if case .double(let a) = value, case .double(let b) = constant {
            if a.isNaN || b.isNaN { return false }
            order = a < b ? -1 : (a == b ? 0 : 1)
        } else {
            order = try compareValues(value, constant, function: function)
        }
        guard let order else { return false }  // NaN compares false with everything
        switch relation {
        case .less: return order < 0
        case .lessEquals: return order <= 0
        case .greater: return order > 0
        case .greaterEquals: return order >= 0
        }
    }
}
