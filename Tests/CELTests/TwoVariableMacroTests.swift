import Testing

@testable import CEL

/// Compiles `text` (checked or not) against `variables` and evaluates it with `values`.
private func evaluate(
    _ text: String, checked: Bool, variables: [String: CELType] = [:], values: [String: Value] = [:]
) throws -> Value {
    let program = try Environment(variables: variables).compile(text, options: CompileOptions(check: checked))
    return try program.evaluate(Activation(values))
}

/// The evaluation error of `text`, or nil when it compiles with an error or evaluates.
private func evaluationError(_ text: String, checked: Bool) -> EvalError? {
    do {
        _ = try evaluate(text, checked: checked)
        return nil
    } catch let error as EvalError {
        return error
    } catch {
        Issue.record("\(text) did not compile: \(error)")
        return nil
    }
}

/// The check error of `text`, or nil when it checks.
private func checkError(_ text: String, variables: [String: CELType] = [:]) -> CompileError? {
    do {
        _ = try Environment(variables: variables).compile(text)
        return nil
    } catch {
        return error
    }
}

/// The two-variable comprehensions: `all`, `exists`, `existsOne` (`exists_one`),
/// `transformList`, `transformMap` and `transformMapEntry`, whose first variable is a list's
/// index or a map's key and whose second is the element or the value.
@Suite struct TwoVariableMacroTests {
    // MARK: Results

    /// Expressions and their results as CEL prints them, so that types and order count: `1` is
    /// not `1u`, and a map's entries print in the order they were added.
    static let results: [(String, String)] = [
        // all
        ("[1, 2, 3].all(i, v, v == i + 1)", "true"),
        ("[1, 2, 4].all(i, v, v == i + 1)", "false"),
        ("[].all(i, v, false)", "true"),
        ("{'a': 1, 'b': 2}.all(k, v, k != 'c' && v > 0)", "true"),
        ("{'a': 1, 'b': 2}.all(k, v, k == 'a' || v == 1)", "false"),
        // exists
        ("['x', 'y', 'z'].exists(i, v, i == 2 && v == 'z')", "true"),
        ("['x', 'y', 'z'].exists(i, v, i == 2 && v == 'y')", "false"),
        ("{}.exists(k, v, true)", "false"),
        ("{'a': 1, 'b': 2}.exists(k, v, k == 'b' && v == 2)", "true"),
        ("{'a': 1, 'b': 2}.exists(k, v, k == 'a' && v == 2)", "false"),
        // existsOne and exists_one
        ("[5, 5, 6].existsOne(i, v, v == 5 && i > 0)", "true"),
        ("[5, 5, 6].existsOne(i, v, v == 5)", "false"),
        ("[5, 5, 6].existsOne(i, v, v == 7)", "false"),
        ("[].existsOne(i, v, true)", "false"),
        ("{'a': 1, 'b': 1}.existsOne(k, v, k == 'b' && v == 1)", "true"),
        ("{'a': 1, 'b': 1}.exists_one(k, v, v == 1)", "false"),
        ("[0, 1].exists_one(i, v, i == v && v == 1)", "true"),
        // transformList
        ("[10, 20, 30].transformList(i, v, v + i)", "[10, 21, 32]"),
        ("[10, 20, 30].transformList(i, v, i != 1, v * 2)", "[20, 60]"),
        ("[10, 20, 30].transformList(i, v, false, v)", "[]"),
        ("[].transformList(i, v, v)", "[]"),
        ("{'b': 1, 'a': 2}.transformList(k, v, k + string(v))", #"["b1", "a2"]"#),
        ("{'b': 1, 'a': 2}.transformList(k, v, v == 2, k)", #"["a"]"#),
        // transformMap: the keys stay, the values are transformed
        ("['x', 'y'].transformMap(i, v, v + v)", #"{0: "xx", 1: "yy"}"#),
        ("['x', 'y', 'z'].transformMap(i, v, i != 1, i)", #"{0: 0, 2: 2}"#),
        ("{'c': 3, 'a': 1, 'b': 2}.transformMap(k, v, uint(v) * 10u)", "{\"c\": 30u, \"a\": 10u, \"b\": 20u}"),
        ("{'c': 3, 'a': 1, 'b': 2}.transformMap(k, v, v % 2 == 1, k + k)", #"{"c": "cc", "a": "aa"}"#),
        ("{1: 'one', 2u: 'two'}.transformMap(k, v, size(v))", "{1: 3, 2u: 3}"),
        ("{}.transformMap(k, v, v)", "{}"),
        // transformMapEntry: each step adds the entries of a map
        ("{'a': 'x', 'b': 'y'}.transformMapEntry(k, v, {v: k})", #"{"x": "a", "y": "b"}"#),
        ("['a', 'b'].transformMapEntry(i, v, {v: i, v + '!': -i})", #"{"a": 0, "a!": 0, "b": 1, "b!": -1}"#),
        ("[1, 2, 3].transformMapEntry(i, v, v != 2, {v: i})", "{1: 0, 3: 2}"),
        ("[1, 2, 3].transformMapEntry(i, v, v % 2 == 0 ? {v: i} : {})", "{2: 1}"),
        ("{'a': 1}.transformMapEntry(k, v, {})", "{}"),
        ("[].transformMapEntry(i, v, {v: i})", "{}"),
        // Chained and nested.
        ("[3, 1].transformMap(i, v, v).transformList(k, v, k * 10 + v)", "[3, 11]"),
        ("[[1, 2], [3]].transformList(i, row, row.transformList(j, v, i * 10 + j))", "[[0, 1], [10]]"),
        ("{'a': [1, 2], 'b': [3]}.all(k, vs, vs.all(v, v > 0) && size(k) == 1)", "true"),
        // The inner `i` shadows the outer one; the outer `v` is still seen.
        ("[7].all(i, v, [5, 6].exists(i, w, i == 1 && w == 6 && v == 7))", "true"),
        // The range is a dyn value: the variables are dyn too.
        ("dyn([4, 5]).transformList(i, v, i + v)", "[4, 6]"),
        ("dyn({'a': 1}).transformMap(k, v, k)", #"{"a": "a"}"#),
    ]

    @Test(arguments: results, [true, false])
    func result(of expression: (String, String), checked: Bool) throws {
        let (text, expected) = expression
        #expect(try evaluate(text, checked: checked).description == expected, "\(text)")
    }

    /// The transform may read the map built so far (the accumulator), and sees each step's
    /// entry added in turn.
    @Test(arguments: [true, false])
    func theTransformSeesTheMapBuiltSoFar(checked: Bool) throws {
        let text = "['a', 'b', 'c'].transformMap(i, v, size(__result__))"
        #expect(try evaluate(text, checked: checked).description == "{0: 0, 1: 1, 2: 2}")
        let entries = "[1, 2].transformMapEntry(i, v, {v: size(__result__)})"
        #expect(try evaluate(entries, checked: checked).description == "{1: 0, 2: 1}")
    }

    /// A map built from many elements keeps every entry, in order.
    @Test func aLargeMapIsBuiltEntryByEntry() throws {
        let elements = (0..<300).map(String.init).joined(separator: ", ")
        let result = try evaluate("[\(elements)].transformMapEntry(i, v, {v * 2: i})", checked: true)
        guard case .map(let map) = result else {
            Issue.record("not a map: \(result)")
            return
        }
        #expect(map.count == 300)
        #expect(map.keys.map(\.description) == (0..<300).map { String($0 * 2) })
        #expect(map[.int(598)].map { valuesEqual($0, .int(299)) } == true)
    }

    // MARK: Variables

    @Test(arguments: [true, false])
    func theVariablesShadowDeclaredOnes(checked: Bool) throws {
        let variables: [String: CELType] = ["i": .string, "v": .string]
        let values: [String: Value] = ["i": .string("outer"), "v": .string("outer")]
        let text = "[1, 2].all(i, v, v == i + 1) && i == 'outer' && v == 'outer'"
        #expect(valuesEqual(try evaluate(text, checked: checked, variables: variables, values: values), .bool(true)))
        // A leading dot names the declared variable, past the comprehension's.
        let rooted = "[1].exists(i, v, .v == 'outer' && v == 1)"
        #expect(valuesEqual(try evaluate(rooted, checked: checked, variables: variables, values: values), .bool(true)))
    }

    @Test func theVariablesAreUnknownOutsideTheComprehension() {
        let error = checkError("[1].all(i, v, v > 0) && v == 1")
        #expect(error?.issues.first?.message.contains("undeclared reference to 'v'") == true)
    }

    // MARK: Errors and their absorption

    /// `all` and `exists` ignore an error when another element decides the result, as `&&` and
    /// `||` do; otherwise the error is the result.
    @Test(arguments: [true, false])
    func quantifiersAbsorbErrorsOnlyWhenAnotherElementDecides(checked: Bool) throws {
        #expect(valuesEqual(try evaluate("[0, 1].all(i, v, 1 / i == 0 && v == 0)", checked: checked), .bool(false)))
        #expect(valuesEqual(try evaluate("[0, 1].exists(i, v, 1 / i == 1)", checked: checked), .bool(true)))
        #expect(evaluationError("[0, 1].exists(i, v, 1 / i == 2)", checked: checked)?.kind == .divisionByZero)
        #expect(evaluationError("[0, 1].all(i, v, 1 / i == 1)", checked: checked)?.kind == .divisionByZero)
        #expect(
            valuesEqual(try evaluate("{'a': 0, 'b': 1}.all(k, v, 1 / v == 0)", checked: checked), .bool(false)))
    }

    /// `existsOne` looks at every element, so an error anywhere is the result.
    @Test(arguments: [true, false])
    func existsOneDoesNotShortCircuit(checked: Bool) {
        #expect(evaluationError("[1, 1, 0].existsOne(i, v, 1 / v == 1)", checked: checked)?.kind == .divisionByZero)
    }

    @Test(arguments: [
        "[1, 0].transformList(i, v, 1 / v)",
        "[1, 0].transformList(i, v, 1 / v > 0, v)",
        "{'a': 1, 'b': 0}.transformMap(k, v, 1 / v)",
        "{'a': 1, 'b': 0}.transformMap(k, v, 1 / v > 0, v)",
        "[1, 0].transformMapEntry(i, v, {v: 1 / v})",
        "[1, 0].transformMapEntry(i, v, 1 / v > 0, {v: v})",
    ], [true, false])
    func transformsStopAtTheFirstError(text: String, checked: Bool) {
        #expect(evaluationError(text, checked: checked)?.kind == .divisionByZero)
    }

    @Test(arguments: [
        ("[1, 1].transformMapEntry(i, v, {v: i})", "transformMapEntry() produced the key 1 twice"),
        // An int and a uint of the same value are the same key.
        ("[0, 0u].transformMapEntry(i, v, {v: i})", "transformMapEntry() produced the key 0u twice"),
        ("{'a': 'x', 'b': 'x'}.transformMapEntry(k, v, {v: k})", #"transformMapEntry() produced the key "x" twice"#),
        ("[1, 2].transformMapEntry(i, v, {'same': v})", #"transformMapEntry() produced the key "same" twice"#),
    ], [true, false])
    func transformMapEntryRefusesARepeatedKey(expression: (String, String), checked: Bool) {
        let (text, message) = expression
        let error = evaluationError(text, checked: checked)
        #expect(error?.kind == .invalidArgument)
        #expect(error?.message == message)
    }

    @Test func uncheckedRangesAndTransformsOfTheWrongTypeFailAtEvaluation() {
        #expect(evaluationError("'abc'.all(i, v, true)", checked: false)?.kind == .noMatchingOverload)
        #expect(evaluationError("1.transformList(i, v, v)", checked: false)?.kind == .noMatchingOverload)
        #expect(evaluationError("[1].transformMapEntry(i, v, [v])", checked: false)?.kind == .noMatchingOverload)
        #expect(evaluationError("[1].transformList(i, v, v, v)", checked: false)?.kind == .noMatchingOverload)
        #expect(evaluationError("[1.5].transformMapEntry(i, v, {v: i})", checked: false)?.kind == .invalidArgument)
    }

    // MARK: Types

    @Test(arguments: [
        ("[1, 2].all(i, v, i < v)", CELType.bool),
        ("{'a': 1}.existsOne(k, v, v == 1)", .bool),
        ("['a'].transformList(i, v, i)", .list(.int)),
        ("{'a': 1.5}.transformList(k, v, k)", .list(.string)),
        ("{'a': 1.5}.transformList(k, v, v)", .list(.double)),
        ("['a'].transformMap(i, v, v + '!')", .map(key: .int, value: .string)),
        ("{'a': 1}.transformMap(k, v, v > 0)", .map(key: .string, value: .bool)),
        ("{'a': 1}.transformMapEntry(k, v, {v: k})", .map(key: .int, value: .string)),
        ("['a'].transformMapEntry(i, v, i > 0, {v: [i]})", .map(key: .string, value: .list(.int))),
        ("x.transformMap(k, v, v * 2)", .map(key: .string, value: .int)),
        ("dyn([1]).transformList(i, v, v)", .list(.dyn)),
    ])
    func resultTypes(text: String, type: CELType) throws {
        let variables: [String: CELType] = ["x": .map(key: .string, value: .int)]
        let program = try Environment(variables: variables).compile(text)
        #expect(program.resultType == type)
    }

    @Test(arguments: [
        // A list's index is an int, and so is this map's value: neither is a string.
        ("['a'].all(i, v, i.startsWith('x'))", "no matching overload for 'startsWith' applied to 'int.(string)'"),
        ("{'a': 1}.exists(k, v, v.startsWith('x'))", "no matching overload for 'startsWith' applied to 'int.(string)'"),
        ("[1].transformList(i, v, v, v)", "found no matching overload for '_?_:_'"),
        ("[1].all(i, v, v)", "found no matching overload for '_&&_'"),
        ("{'a': 1}.transformMapEntry(k, v, [k])", "transformMapEntry() must be a map, not 'list(string)'"),
        ("{'a': 1}.transformMapEntry(k, v, {[k]: v})", "a map key must be an int, uint, bool or string"),
        ("'abc'.transformList(i, v, v)", "cannot iterate over a value of type 'string'"),
        ("[1].transformList(i, v)", "'transformList' is a macro: check the number and form of its arguments"),
        ("[1].existsOne(v, v == 1)", "'existsOne' is a macro: check the number and form of its arguments"),
    ])
    func checkErrors(text: String, message: String) {
        let error = checkError(text)
        #expect(error?.stage == .check)
        #expect(error?.issues.contains { $0.message.contains(message) } == true, "\(error?.description ?? "no error")")
    }

    @Test func mapInsertIsNotOfferedAsANameToCall() {
        #expect(!StandardDeclarations.callableNames.contains(Operator.mapInsert))
    }

    // MARK: Syntax

    @Test(arguments: [
        ("[].all(i, i, true)", "the variables of all() must differ ('i' twice)", 11),
        ("{}.transformMapEntry(k, k, {})", "the variables of transformMapEntry() must differ ('k' twice)", 25),
        ("[].all(__result__, v, true)", "'__result__' is reserved for the result of all()", 8),
        ("[].exists(i, __result__, true)", "'__result__' is reserved for the result of exists()", 14),
        ("[].transformList(i.j, v, v)", "the first argument of transformList() must be a simple identifier", 19),
        ("{}.transformMap(k, v.w, v)", "the second argument of transformMap() must be a simple identifier", 21),
        ("[].exists_one(.i, v, true)", "the first argument of exists_one() must be a simple identifier", 15),
        ("[].existsOne(i, 1, true)", "the second argument of existsOne() must be a simple identifier", 17),
    ])
    func variableNamesAreChecked(text: String, message: String, column: Int) {
        do {
            _ = try Parser.parse(Source(text))
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.stage == .syntax)
            #expect(error.issues.first?.message == message)
            #expect(error.issues.first?.location.column == column)
        }
    }

    @Test func withoutMacrosTheyAreCalls() throws {
        let expr = try Parser.parse(Source("l.transformMap(k, v, v)"), macros: false)
        guard case .call("transformMap", let target?, let args) = expr.kind else {
            Issue.record("not a call: \(expr.kind)")
            return
        }
        #expect(args.count == 3)
        guard case .ident("l") = target.kind else {
            Issue.record("unexpected target: \(target.kind)")
            return
        }
    }

    @Test func theExpansionBindsBothVariables() throws {
        let expr = try Parser.parse(Source("m.transformMapEntry(k, v, {v: k})"))
        guard case .comprehension(let fold) = expr.kind else {
            Issue.record("not a comprehension: \(expr.kind)")
            return
        }
        #expect(fold.iterVar == "k")
        #expect(fold.iterVar2 == "v")
        let single = try Parser.parse(Source("m.all(k, k > 0)"))
        guard case .comprehension(let one) = single.kind else {
            Issue.record("not a comprehension: \(single.kind)")
            return
        }
        #expect(one.iterVar == "k")
        #expect(one.iterVar2 == nil)
    }
}
