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
/// The two-variable forms (as the specification's `macros2` conformance tests use them) bind a
/// list's index and element, or a map's key and value, to `i, v`:
/// - `e.all(i, v, p)`, `e.exists(i, v, p)`, and `e.existsOne(i, v, p)` (also spelt
///   `exists_one`) expand as their one-variable forms do.
/// - `e.transformList(i, v, t)` expands as `map`, and so does its filtered form
///   `e.transformList(i, v, p, t)`.
/// - `e.transformMap(i, v, t)`: accumulator `{}`, always loop, step
///   `cel.@mapInsert(__result__, i, t)` (the result keeps `e`'s keys, or a list's indexes);
///   `e.transformMapEntry(i, v, t)` has step `cel.@mapInsert(__result__, t)`, where `t` is a map
///   whose entries are added. A filter `p` before `t` makes the step
///   `p ? <step> : __result__`. Adding a key twice is an evaluation error.
///
/// The result of all but `exists_one` is `__result__`. Nodes the expansion adds take the offset of
/// the macro's name. Calls with other argument counts, or with a leading dot, stay calls. The
/// variables must be simple names, other than `__result__`, and the two must differ.
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
        guard macros, let macro = ComprehensionMacro.named(name, argumentCount: args.count) else {
            return try make(.call(function: name, target: target, args: args), at: offset)
        }
        let variable = try iterationVariable(args[0], position: "first", of: name)
        var second: String?
        if macro.variableCount == 2 {
            second = try iterationVariable(args[1], position: "second", of: name)
            guard second != variable else {
                throw SyntaxError(
                    offset: args[1].offset, message: "the variables of \(name)() must differ ('\(variable)' twice)")
            }
        }
        // What follows the variables: a predicate, or a transform with an optional filter first.
        let operands = Array(args[macro.variableCount...])
        let fold: Expr.Comprehension
        switch macro.kind {
        case .all, .exists:
            let all = macro.kind == .all
            let condition =
                all
                ? try call(Operator.notStrictlyFalse, try accumulator(at: offset), at: offset)
                : try call(
                    Operator.notStrictlyFalse, try call(Operator.logicalNot, try accumulator(at: offset), at: offset),
                    at: offset)
            let step = try call(
                all ? Operator.logicalAnd : Operator.logicalOr, try accumulator(at: offset), operands[0], at: offset)
            fold = Expr.Comprehension(
                iterVar: variable, iterVar2: second, iterRange: target, accuVar: Self.accumulator,
                accuInit: try make(.literal(.bool(all)), at: offset), loopCondition: condition, loopStep: step,
                result: try accumulator(at: offset))
        case .existsOne:
            let count = try call(
                Operator.add, try accumulator(at: offset), try make(.literal(.int(1)), at: offset), at: offset)
            let step = try call(Operator.conditional, operands[0], count, try accumulator(at: offset), at: offset)
            let result = try call(
                Operator.equals, try accumulator(at: offset), try make(.literal(.int(1)), at: offset), at: offset)
            fold = Expr.Comprehension(
                iterVar: variable, iterVar2: second, iterRange: target, accuVar: Self.accumulator,
                accuInit: try make(.literal(.int(0)), at: offset),
                loopCondition: try make(.literal(.bool(true)), at: offset), loopStep: step, result: result)
        case .filter, .map, .transformMap, .transformMapEntry:
            let filter = macro.kind == .filter ? operands[0] : (operands.count == 2 ? operands[0] : nil)
            let initial: Expr
            var step: Expr
            switch macro.kind {
            case .transformMap:
                initial = try make(.map([]), at: offset)
                step = try call(
                    Operator.mapInsert, try accumulator(at: offset), try make(.ident(variable), at: offset),
                    operands[operands.count - 1], at: offset)
            case .transformMapEntry:
                initial = try make(.map([]), at: offset)
                step = try call(
                    Operator.mapInsert, try accumulator(at: offset), operands[operands.count - 1], at: offset)
            default:
                // map, transformList and filter append to a list.
                let element =
                    macro.kind == .filter ? try make(.ident(variable), at: offset) : operands[operands.count - 1]
                initial = try make(.list([]), at: offset)
                step = try call(
                    Operator.add, try accumulator(at: offset), try make(.list([element]), at: offset), at: offset)
            }
            if let filter {
                step = try call(Operator.conditional, filter, step, try accumulator(at: offset), at: offset)
            }
            fold = Expr.Comprehension(
                iterVar: variable, iterVar2: second, iterRange: target, accuVar: Self.accumulator,
                accuInit: initial, loopCondition: try make(.literal(.bool(true)), at: offset), loopStep: step,
                result: try accumulator(at: offset))
        }
        return try make(.comprehension(fold), at: offset)
    }

    /// The name an argument binds, which must be a simple identifier other than the accumulator.
    private func iterationVariable(_ arg: Expr, position: String, of name: String) throws(SyntaxError) -> String {
        guard case .ident(let variable) = arg.kind, !variable.hasPrefix(".") else {
            throw SyntaxError(
                offset: arg.offset, message: "the \(position) argument of \(name)() must be a simple identifier")
        }
        guard variable != Self.accumulator else {
            throw SyntaxError(offset: arg.offset, message: "'\(variable)' is reserved for the result of \(name)()")
        }
        return variable
    }

    private mutating func accumulator(at offset: Int) throws(SyntaxError) -> Expr {
        try make(.ident(Self.accumulator), at: offset)
    }
}

/// A receiver call that is a comprehension macro: which one, and how many variables it binds.
private struct ComprehensionMacro {
    enum Kind { case all, exists, existsOne, map, filter, transformMap, transformMapEntry }

    var kind: Kind
    var variableCount: Int

    /// The macro `name` with `count` arguments, or nil when that is not a macro. The quantifiers
    /// take one variable before their predicate, or two.
    static func named(_ name: String, argumentCount count: Int) -> ComprehensionMacro? {
        switch (name, count) {
        case ("all", 2...3): ComprehensionMacro(kind: .all, variableCount: count - 1)
        case ("exists", 2...3): ComprehensionMacro(kind: .exists, variableCount: count - 1)
        case ("exists_one", 2...3): ComprehensionMacro(kind: .existsOne, variableCount: count - 1)
        case ("existsOne", 3): ComprehensionMacro(kind: .existsOne, variableCount: 2)
        case ("map", 2...3): ComprehensionMacro(kind: .map, variableCount: 1)
        case ("filter", 2): ComprehensionMacro(kind: .filter, variableCount: 1)
        case ("transformList", 3...4): ComprehensionMacro(kind: .map, variableCount: 2)
        case ("transformMap", 3...4): ComprehensionMacro(kind: .transformMap, variableCount: 2)
        case ("transformMapEntry", 3...4): ComprehensionMacro(kind: .transformMapEntry, variableCount: 2)
        default: nil
        }
    }
}
