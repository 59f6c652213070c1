/// Expansion of the standard macros (language definition, "Macros") while parsing.
///
/// - `has(e.f)` becomes `select(e, f, testOnly: true)`.
/// - `e.all(x, p)`: accumulator `true`, loop while `@not_strictly_false(__result__)`, step
///   `__result__ && p`.
/// - `e.exists(x, p)`: accumulator `false`, loop while `@not_strictly_false(!__result__)`, step
///   `__result__ || p`.
/// - `e.exists_one(x, p)`: accumulator `0`, always loop, step `p ? __result__ + 1 : __result__`,
///   result `__result__ == 1`.
/// - `e.map(x, t)`: accumulator `[]`, always loop, step `__result__ + [t]`; with a filter
///   `e.map(x, p, t)` the step is `p ? __result__ + [t] : __result__`.
/// - `e.filter(x, p)`: accumulator `[]`, always loop, step `p ? __result__ + [x] : __result__`.
///
/// The result of all but `exists_one` is `__result__`. Nodes the expansion adds take the offset of
/// the macro's name. Calls with other argument counts, or with a leading dot, stay calls.
extension ExpressionParser {
    /// The accumulator variable of every expansion.
    static let accumulator = "__result__"

    /// A call `name(args)`, or the `has` macro's expansion.
    mutating func globalCall(_ name: String, _ args: [Expr], at offset: Int) throws(SyntaxError) -> Expr {
        guard macros, name == "has", args.count == 1 else {
            return try make(.call(function: name, target: nil, args: args), at: offset)
        }
        guard case .select(let operand, let field, testOnly: false) = args[0].kind else {
            throw SyntaxError(offset: args[0].offset, message: "the argument of has() must be a field selection")
        }
        return try make(.select(operand: operand, field: field, testOnly: true), at: offset)
    }

    /// A call `target.name(args)`, or the expansion of a comprehension macro.
    mutating func receiverCall(
        _ name: String, on target: Expr, _ args: [Expr], at offset: Int
    ) throws(SyntaxError) -> Expr {
        switch (name, args.count) {
        case ("all", 2), ("exists", 2), ("exists_one", 2), ("filter", 2), ("map", 2), ("map", 3):
            if macros { break }
            fallthrough
        default:
            return try make(.call(function: name, target: target, args: args), at: offset)
        }
        guard case .ident(let variable) = args[0].kind, !variable.hasPrefix(".") else {
            throw SyntaxError(
                offset: args[0].offset, message: "the first argument of \(name)() must be a simple identifier")
        }
        guard variable != Self.accumulator else {
            throw SyntaxError(
                offset: args[0].offset, message: "'\(variable)' is reserved for the result of \(name)()")
        }
        let fold: Expr.Comprehension
        switch name {
        case "all", "exists":
            let all = name == "all"
            let condition =
                all
                ? try call(Operator.notStrictlyFalse, try accumulator(at: offset), at: offset)
                : try call(
                    Operator.notStrictlyFalse, try call(Operator.logicalNot, try accumulator(at: offset), at: offset),
                    at: offset)
            let step = try call(
                all ? Operator.logicalAnd : Operator.logicalOr, try accumulator(at: offset), args[1], at: offset)
            fold = Expr.Comprehension(
                iterVar: variable, iterRange: target, accuVar: Self.accumulator,
                accuInit: try make(.literal(.bool(all)), at: offset), loopCondition: condition, loopStep: step,
                result: try accumulator(at: offset))
        case "exists_one":
            let count = try call(
                Operator.add, try accumulator(at: offset), try make(.literal(.int(1)), at: offset), at: offset)
            let step = try call(Operator.conditional, args[1], count, try accumulator(at: offset), at: offset)
            let result = try call(
                Operator.equals, try accumulator(at: offset), try make(.literal(.int(1)), at: offset), at: offset)
            fold = Expr.Comprehension(
                iterVar: variable, iterRange: target, accuVar: Self.accumulator,
                accuInit: try make(.literal(.int(0)), at: offset),
                loopCondition: try make(.literal(.bool(true)), at: offset), loopStep: step, result: result)
        default:
            // map and filter: append to a list, when the predicate (if any) holds.
            let isFilter = name == "filter"
            let element = isFilter ? try make(.ident(variable), at: offset) : args[args.count - 1]
            var step = try call(
                Operator.add, try accumulator(at: offset), try make(.list([element]), at: offset), at: offset)
            if isFilter || args.count == 3 {
                step = try call(Operator.conditional, args[1], step, try accumulator(at: offset), at: offset)
            }
            fold = Expr.Comprehension(
                iterVar: variable, iterRange: target, accuVar: Self.accumulator,
                accuInit: try make(.list([]), at: offset),
                loopCondition: try make(.literal(.bool(true)), at: offset), loopStep: step,
                result: try accumulator(at: offset))
        }
        return try make(.comprehension(fold), at: offset)
    }

    private mutating func accumulator(at offset: Int) throws(SyntaxError) -> Expr {
        try make(.ident(Self.accumulator), at: offset)
    }
}
