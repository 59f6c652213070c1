/// Comprehensions: the general fold, and the shapes of macro expansions that get nodes of their
/// own (the quantifiers `exists` and `all`; map inserts that build the accumulator in place).
extension Planner {
    mutating func planComprehension(_ c: Expr.Comprehension) -> any Interpretable {
        if let quantifier = planQuantifier(c) { return quantifier }
        let range = plan(c.iterRange)
        let accuInit = plan(c.accuInit)
        let accuSlot = push(c.accuVar)
        let iterSlot = push(c.iterVar)
        let iterSlot2 = c.iterVar2.map { push($0) }
        let condition = plan(c.loopCondition)
        let step = planStep(c.loopStep, accumulator: c.accuVar, slot: accuSlot)
        if iterSlot2 != nil { pop() }
        pop()
        let result = plan(c.result)
        pop()
        return ComprehensionNode(
            iterSlot: iterSlot, iterSlot2: iterSlot2, accuSlot: accuSlot, range: range, accuInit: accuInit,
            condition: condition, step: step, result: result)
    }

    /// `cel.@mapInsert(m, k, v)` or `cel.@mapInsert(m, n)`; with `slot`, `m` is the accumulator in
    /// that slot, taken out of it rather than copied.
    mutating func mapInsert(_ args: [Expr], takingSlot slot: Int?) -> any Interpretable {
        MapInsertNode(
            map: plan(args[0]), key: args.count == 3 ? plan(args[1]) : nil, value: plan(args[args.count - 1]),
            takenSlot: slot)
    }

    /// The loop step. A map insert into the accumulator (`transformMap`, `transformMapEntry`),
    /// alone or as the branch a filter chooses, takes the map out of the accumulator's slot: the
    /// fold stores the step's result back there, so building a map of n entries costs n inserts
    /// rather than n copies.
    private mutating func planStep(_ step: Expr, accumulator: String, slot: Int) -> any Interpretable {
        func isAccumulator(_ expr: Expr) -> Bool {
            guard case .ident(let name) = expr.kind else { return false }
            return name == accumulator && local(name) == slot
        }
        func insertArguments(_ expr: Expr) -> [Expr]? {
            guard case .call(Operator.mapInsert, nil, let args) = expr.kind, (2...3).contains(args.count),
                isAccumulator(args[0])
            else { return nil }
            return args
        }
        if let args = insertArguments(step) { return mapInsert(args, takingSlot: slot) }
        if case .call(Operator.conditional, nil, let args) = step.kind, args.count == 3, isAccumulator(args[2]),
            let insert = insertArguments(args[1])
        {
            return ConditionalNode(
                condition: plan(args[0]), then: mapInsert(insert, takingSlot: slot), otherwise: plan(args[2]))
        }
        return plan(step)
    }

    /// The expansion of `exists` or `all`, as a ``QuantifierNode``; nil for other folds.
    private mutating func planQuantifier(_ c: Expr.Comprehension) -> (any Interpretable)? {
        guard case .literal(.bool(let initial)) = c.accuInit.kind,
            case .ident(let result) = c.result.kind, result == c.accuVar,
            case .call(let step, nil, let stepArgs) = c.loopStep.kind, stepArgs.count == 2,
            case .ident(let stepAccu) = stepArgs[0].kind, stepAccu == c.accuVar,
            case .call(Operator.notStrictlyFalse, nil, let condArgs) = c.loopCondition.kind, condArgs.count == 1
        else { return nil }
        let existential: Bool
        switch (initial, step) {
        case (false, Operator.logicalOr):
            // exists: condition @not_strictly_false(!accu)
            guard case .call(Operator.logicalNot, nil, let notArgs) = condArgs[0].kind, notArgs.count == 1,
                case .ident(let name) = notArgs[0].kind, name == c.accuVar
            else { return nil }
            existential = true
        case (true, Operator.logicalAnd):
            // all: condition @not_strictly_false(accu)
            guard case .ident(let name) = condArgs[0].kind, name == c.accuVar else { return nil }
            existential = false
        default:
            return nil
        }
        // The predicate must not read the accumulator itself.
        guard !Self.mentions(c.accuVar, in: stepArgs[1]) else { return nil }
        let range = plan(c.iterRange)
        let iterSlot = push(c.iterVar)
        let iterSlot2 = c.iterVar2.map { push($0) }
        let predicate = plan(stepArgs[1])
        if iterSlot2 != nil { pop() }
        pop()
        return QuantifierNode(
            existential: existential, iterSlot: iterSlot, iterSlot2: iterSlot2, range: range, predicate: predicate)
    }

    private static func mentions(_ name: String, in expr: Expr) -> Bool {
        switch expr.kind {
        case .literal: return false
        case .ident(let n): return n == name
        case .select(let operand, _, _): return mentions(name, in: operand)
        case .call(_, let target, let args):
            return (target.map { mentions(name, in: $0) } ?? false) || args.contains { mentions(name, in: $0) }
        case .list(let items): return items.contains { mentions(name, in: $0) }
        case .map(let entries): return entries.contains { mentions(name, in: $0.key) || mentions(name, in: $0.value) }
        case .comprehension(let c):
            return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].contains { mentions(name, in: $0) }
        }
    }
}
