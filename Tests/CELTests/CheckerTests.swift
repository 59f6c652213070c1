import Testing

@testable import CEL

/// Builds expression trees by hand (as the parser would, macros expanded), numbering the nodes.
private final class Tree {
    private var nextID = 0

    func node(_ kind: Expr.Kind, at offset: Int = 0) -> Expr {
        nextID += 1
        return Expr(id: nextID, offset: offset, kind: kind)
    }

    func literal(_ literal: Literal, at offset: Int = 0) -> Expr { node(.literal(literal), at: offset) }
    func int(_ value: Int64, at offset: Int = 0) -> Expr { literal(.int(value), at: offset) }
    func uint(_ value: UInt64, at offset: Int = 0) -> Expr { literal(.uint(value), at: offset) }
    func double(_ value: Double, at offset: Int = 0) -> Expr { literal(.double(value), at: offset) }
    func string(_ value: String, at offset: Int = 0) -> Expr { literal(.string(value), at: offset) }
    func bool(_ value: Bool, at offset: Int = 0) -> Expr { literal(.bool(value), at: offset) }
    func null(at offset: Int = 0) -> Expr { literal(.null, at: offset) }
    func ident(_ name: String, at offset: Int = 0) -> Expr { node(.ident(name), at: offset) }

    func select(_ operand: Expr, _ field: String, at offset: Int = 0) -> Expr {
        node(.select(operand: operand, field: field, testOnly: false), at: offset)
    }

    func has(_ operand: Expr, _ field: String, at offset: Int = 0) -> Expr {
        node(.select(operand: operand, field: field, testOnly: true), at: offset)
    }

    /// `a.b.c` as the parser produces it: selects on an identifier.
    func path(_ dotted: String) -> Expr {
        let names = dotted.split(separator: ".").map(String.init)
        var expr = ident(names[0], at: 0)
        var offset = names[0].count
        for name in names.dropFirst() {
            expr = select(expr, name, at: offset + 1)
            offset += 1 + name.count
        }
        return expr
    }

    func call(_ function: String, _ args: Expr..., target: Expr? = nil, at offset: Int = 0) -> Expr {
        node(.call(function: function, target: target, args: args), at: offset)
    }

    func list(_ elements: Expr...) -> Expr { node(.list(elements)) }

    func map(_ entries: (Expr, Expr)...) -> Expr {
        node(.map(entries.map { Expr.MapEntry(key: $0.0, value: $0.1) }))
    }

    private func fold(
        _ range: Expr, _ variable: String, initial: Expr, condition: Expr, step: Expr, result: Expr
    ) -> Expr {
        node(
            .comprehension(
                Expr.Comprehension(
                    iterVar: variable, iterRange: range, accuVar: "__result__", accuInit: initial,
                    loopCondition: condition, loopStep: step, result: result)))
    }

    func all(_ range: Expr, _ variable: String, _ predicate: (Tree) -> Expr) -> Expr {
        fold(
            range, variable, initial: bool(true),
            condition: call(Operator.notStrictlyFalse, ident("__result__")),
            step: call(Operator.logicalAnd, ident("__result__"), predicate(self)), result: ident("__result__"))
    }

    func exists(_ range: Expr, _ variable: String, _ predicate: (Tree) -> Expr) -> Expr {
        fold(
            range, variable, initial: bool(false),
            condition: call(Operator.notStrictlyFalse, call(Operator.logicalNot, ident("__result__"))),
            step: call(Operator.logicalOr, ident("__result__"), predicate(self)), result: ident("__result__"))
    }

    func existsOne(_ range: Expr, _ variable: String, _ predicate: (Tree) -> Expr) -> Expr {
        fold(
            range, variable, initial: int(0), condition: bool(true),
            step: call(
                Operator.conditional, predicate(self), call(Operator.add, ident("__result__"), int(1)),
                ident("__result__")),
            result: call(Operator.equals, ident("__result__"), int(1)))
    }

    func map(_ range: Expr, _ variable: String, _ transform: (Tree) -> Expr) -> Expr {
        fold(
            range, variable, initial: list(), condition: bool(true),
            step: call(Operator.add, ident("__result__"), list(transform(self))), result: ident("__result__"))
    }

    func filter(_ range: Expr, _ variable: String, _ predicate: (Tree) -> Expr) -> Expr {
        fold(
            range, variable, initial: list(), condition: bool(true),
            step: call(
                Operator.conditional, predicate(self),
                call(Operator.add, ident("__result__"), list(ident(variable))), ident("__result__")),
            result: ident("__result__"))
    }
}

private let changes = ObjectShape(
    name: "payments.transfer.changes",
    fields: ["amount": .double, "currency": .string, "to_account": .string])
private let mutation = ObjectShape(
    name: "mutation",
    fields: [
        "resource": .string, "changes": .object(changes), "before": .object(changes),
        "context": .object(ObjectShape(name: "mutation.context", fields: ["ip": .string], isOpen: true)),
    ])
private let environment = Environment(variables: [
    "mutation": .object(mutation),
    "actor": .map(key: .string, value: .dyn),
    "payload": .dyn,
    "now": .timestamp,
    "roles": .list(.string),
    "a.b.c": .string,
    "a.b": .map(key: .string, value: .int),
])

/// The type the checker deduces for `expr`, or the problems it reports.
private func check(_ expr: Expr, _ text: String = "") -> Result<CheckedExpr, CompileError> {
    Result { () throws(CompileError) in
        try Checker(environment: environment).check(expr, source: Source(text))
    }
}

private func type(_ build: (Tree) -> Expr) -> CELType? {
    try? check(build(Tree())).get().resultType
}

private func messages(_ build: (Tree) -> Expr) -> [String] {
    guard case .failure(let error) = check(build(Tree())) else { return [] }
    return error.issues.map(\.message)
}

/// The problems found in `text`, as `line:column: message`.
private func problems(in text: String) throws -> [String] {
    let source = Source(text)
    let expr = try Parser.parse(source)
    do {
        _ = try Checker(environment: environment).check(expr, source: source)
        return []
    } catch {
        return error.issues.map(\.description)
    }
}

private func deducedType(of text: String) throws -> CELType {
    let source = Source(text)
    return try Checker(environment: environment).check(try Parser.parse(source), source: source).resultType
}

@Suite struct CheckerTests {
    // MARK: Parsed source

    @Test func policyMistakesAreReportedWhereTheyAre() throws {
        #expect(
            try problems(in: "mutation.changes.amout > 10.0") == [
                "1:17: no field 'amout' on payments.transfer.changes, did you mean 'amount'? "
                    + "(fields: amount, currency, to_account)"
            ])
        #expect(
            try problems(in: "mutation.changes.currency > 1.5") == [
                "1:27: found no matching overload for '_>_' applied to '(string, double)'"
            ])
        #expect(try problems(in: "lenght(roles) > 1") == ["1:1: undeclared function 'lenght', did you mean 'size'?"])
        #expect(
            try problems(in: "roles.exists(r, r == 'admin') &&\n  mutaton.resource == 'x' &&\n  nope(1)") == [
                "2:3: undeclared reference to 'mutaton', did you mean 'mutation'?",
                "3:3: undeclared function 'nope'",
            ])
    }

    @Test func parsedExpressionsGetTheirTypes() throws {
        #expect(try deducedType(of: "[1, 2].map(x, x * 2)") == .list(.int))
        #expect(try deducedType(of: "{'a': [1], 'b': []}") == .map(key: .string, value: .list(.int)))
        #expect(try deducedType(of: "roles.filter(r, r.startsWith('admin')).size() > 0 ? 'admin' : 'user'") == .string)
        #expect(try deducedType(of: "mutation.changes.amount >= 10000 && now.getHours('Europe/Paris') < 8") == .bool)
        #expect(try deducedType(of: "has(mutation.before.amount) ? mutation.before.amount : 0.0") == .double)
        #expect(try deducedType(of: "a.b.c + '!'") == .string)
        // The local `a` shadows the declared `a.b`.
        #expect(try deducedType(of: "[{'b': true}].exists(a, a.b)") == .bool)
        #expect(try deducedType(of: "payload.items.map(i, i.price * 2.0)") == .list(.double))
    }

    // MARK: Names

    @Test func unknownVariableIsReportedWithItsPosition() throws {
        let text = "1 + amout"
        let tree = Tree()
        let expr = tree.call(Operator.add, tree.int(1), tree.ident("amout", at: 4), at: 2)
        guard case .failure(let error) = check(expr, text) else {
            Issue.record("expected a check error")
            return
        }
        #expect(error.stage == .check)
        #expect(error.issues.map(\.message) == ["undeclared reference to 'amout'"])
        #expect(error.issues.first?.location.line == 1)
        #expect(error.issues.first?.location.column == 5)
        #expect(error.description.contains("^"))
    }

    @Test func misspeltVariableGetsASuggestion() {
        #expect(messages { $0.ident("mutaton") } == ["undeclared reference to 'mutaton', did you mean 'mutation'?"])
        #expect(
            messages { $0.path("mutaton.changes.amount") }.first?.hasPrefix("undeclared reference to 'mutaton'") == true
        )
    }

    @Test func unknownFieldOnAClosedShapeListsTheFields() throws {
        // mutation.changes.amout > 10.0
        let text = "mutation.changes.amout > 10.0"
        let tree = Tree()
        let amout = tree.select(tree.select(tree.ident("mutation"), "changes", at: 8), "amout", at: 16)
        let expr = tree.call(Operator.greater, amout, tree.double(10, at: 25), at: 23)
        guard case .failure(let error) = check(expr, text) else {
            Issue.record("expected a check error")
            return
        }
        #expect(
            error.issues.map(\.message) == [
                "no field 'amout' on payments.transfer.changes, did you mean 'amount'? "
                    + "(fields: amount, currency, to_account)"
            ])
        #expect(error.issues.first?.location.column == 17)
    }

    @Test func knownFieldsHaveTheirDeclaredTypes() {
        #expect(type { $0.path("mutation.changes.amount") } == .double)
        #expect(type { $0.path("mutation.resource") } == .string)
        #expect(type { $0.call(Operator.index, $0.path("mutation.changes"), $0.string("currency")) } == .string)
        #expect(!messages { $0.call(Operator.index, $0.path("mutation.changes"), $0.string("x")) }.isEmpty)
    }

    @Test func openShapeAcceptsUnknownFieldsAsDyn() {
        #expect(type { $0.path("mutation.context.user_agent") } == .dyn)
        #expect(type { $0.path("mutation.context.ip") } == .string)
    }

    @Test func hasChecksTheFieldOfAClosedShape() {
        #expect(type { $0.has($0.path("mutation.changes"), "amount") } == .bool)
        #expect(type { $0.has($0.ident("actor"), "anything") } == .bool)
        #expect(messages { $0.has($0.path("mutation.changes"), "amout") }.count == 1)
    }

    @Test func selectingOnAMapGivesItsValueType() {
        #expect(type { $0.path("actor.id") } == .dyn)
        #expect(type { $0.select($0.map(($0.string("k"), $0.int(1))), "k") } == .int)
    }

    @Test func selectingOnAScalarIsAnError() {
        #expect(messages { $0.select($0.int(1), "pancakes") } == ["type 'int' has no fields (selecting 'pancakes')"])
    }

    @Test func qualifiedNamesResolveTheLongestDeclaredPrefix() throws {
        #expect(type { $0.path("a.b.c") } == .string)
        #expect(type { $0.path("a.b.d") } == .int)
        #expect(messages { $0.path("a.x") } == ["undeclared reference to 'a.x', did you mean 'a.b'?"])
    }

    @Test func comprehensionVariablesShadowDeclarations() {
        // [1].exists(mutation, mutation > 0): the local `mutation` is an int.
        #expect(
            type { tree in
                tree.exists(tree.list(tree.int(1)), "mutation") {
                    $0.call(Operator.greater, $0.ident("mutation"), $0.int(0))
                }
            } == .bool)
        // A leading dot reaches the declaration past the local.
        #expect(
            type { tree in
                tree.exists(tree.list(tree.int(1)), "now") {
                    $0.call(Operator.less, $0.ident(".now"), $0.ident(".now"))
                }
            } == .bool)
    }

    @Test func typeDenotationsAreTypeValues() {
        #expect(type { $0.ident("int") } == .type(.int))
        #expect(type { $0.ident("list") } == .type(.list(.dyn)))
        #expect(type { $0.path("google.protobuf.Timestamp") } == .type(.timestamp))
        #expect(type { $0.call("type", $0.string("a")) } == .type(.string))
        #expect(type { $0.call(Operator.equals, $0.call("type", $0.int(1)), $0.ident("string")) } == .bool)
        #expect(messages { $0.ident("dyn") } == ["undeclared reference to 'dyn'"])
        #expect(type { $0.list($0.ident("int"), $0.ident("string")) } == .list(.type(.dyn)))
    }

    // MARK: Calls

    @Test func comparingAStringWithANumberIsAnError() {
        #expect(
            messages { $0.call(Operator.greater, $0.string("a"), $0.double(1)) } == [
                "found no matching overload for '_>_' applied to '(string, double)'"
            ])
    }

    @Test func unknownFunctionIsReported() {
        #expect(
            messages { $0.call("lenght", $0.ident("roles")) } == ["undeclared function 'lenght', did you mean 'size'?"])
        #expect(
            messages { $0.call("startswith", $0.string("x"), target: $0.string("abc")) } == [
                "undeclared function 'startswith', did you mean 'startsWith'?"
            ])
        #expect(messages { $0.call("frobnicate") } == ["undeclared function 'frobnicate'"])
    }

    @Test func receiverStyleMismatchShowsTheReceiver() {
        #expect(
            messages { $0.call("startsWith", $0.int(1), target: $0.string("abc")) } == [
                "found no matching overload for 'startsWith' applied to 'string.(int)'"
            ])
    }

    @Test func numericOrderingAcceptsMixedTypes() {
        #expect(type { $0.call(Operator.less, $0.int(1), $0.double(2)) } == .bool)
        #expect(type { $0.call(Operator.greaterEquals, $0.uint(1), $0.int(2)) } == .bool)
        #expect(type { $0.call(Operator.greater, $0.path("mutation.changes.amount"), $0.int(10_000)) } == .bool)
    }

    @Test func equalityNeedsOneTypeUnlessDyn() {
        #expect(
            messages { $0.call(Operator.equals, $0.int(1), $0.double(1)) } == [
                "found no matching overload for '_==_' applied to '(int, double)' "
                    + "(to compare numbers of different types, convert one side with int(), uint() or double())"
            ])
        #expect(type { $0.call(Operator.equals, $0.call("dyn", $0.int(1)), $0.uint(1)) } == .bool)
        #expect(type { $0.call(Operator.notEquals, $0.path("mutation.before"), $0.null()) } == .bool)
        #expect(!messages { $0.call(Operator.equals, $0.null(), $0.int(1)) }.isEmpty)
        #expect(type { $0.call(Operator.equals, $0.list($0.int(1)), $0.list()) } == .bool)
    }

    @Test func arithmeticAndTime() {
        #expect(type { $0.call(Operator.add, $0.int(1), $0.int(2)) } == .int)
        #expect(type { $0.call(Operator.add, $0.string("a"), $0.string("b")) } == .string)
        #expect(
            type { $0.call(Operator.subtract, $0.ident("now"), $0.call("duration", $0.string("1h"))) } == .timestamp)
        #expect(type { $0.call(Operator.subtract, $0.ident("now"), $0.ident("now")) } == .duration)
        #expect(type { $0.call("getHours", target: $0.ident("now")) } == .int)
        #expect(type { $0.call("getDayOfWeek", $0.string("Europe/Paris"), target: $0.ident("now")) } == .int)
        #expect(type { $0.call("getMinutes", target: $0.call("duration", $0.string("90m"))) } == .int)
        #expect(!messages { $0.call("getDayOfWeek", target: $0.call("duration", $0.string("1h"))) }.isEmpty)
        #expect(!messages { $0.call(Operator.modulo, $0.double(1), $0.double(2)) }.isEmpty)
        #expect(!messages { $0.call(Operator.negate, $0.uint(1)) }.isEmpty)
    }

    @Test func conversionsAndStrings() {
        #expect(type { $0.call("int", $0.string("1")) } == .int)
        #expect(type { $0.call("string", $0.ident("now")) } == .string)
        #expect(type { $0.call("timestamp", $0.int(0)) } == .timestamp)
        #expect(type { $0.call("matches", $0.string("re"), target: $0.string("s")) } == .bool)
        #expect(type { $0.call("matches", $0.string("s"), $0.string("re")) } == .bool)
        #expect(type { $0.call("size", target: $0.ident("roles")) } == .int)
        #expect(type { $0.call("size", $0.map()) } == .int)
        #expect(
            messages { $0.call("contains", $0.string("a"), $0.string("b")) } == [
                "found no matching overload for 'contains' applied to '(string, string)' "
                    + "(call it as a method: x.contains(…))"
            ])
        #expect(!messages { $0.call("bool", $0.int(1)) }.isEmpty)
    }

    @Test func indexingAndMembership() {
        #expect(type { $0.call(Operator.index, $0.ident("roles"), $0.int(0)) } == .string)
        #expect(type { $0.call(Operator.index, $0.map(($0.string("a"), $0.int(1))), $0.string("a")) } == .int)
        #expect(type { $0.call(Operator.in, $0.string("admin"), $0.ident("roles")) } == .bool)
        #expect(type { $0.call(Operator.in, $0.string("amount"), $0.path("mutation.changes")) } == .bool)
        #expect(!messages { $0.call(Operator.index, $0.ident("roles"), $0.string("x")) }.isEmpty)
        #expect(!messages { $0.call(Operator.in, $0.int(1), $0.ident("roles")) }.isEmpty)
    }

    @Test func conditionalTakesTheTypeOfItsBranches() {
        #expect(type { $0.call(Operator.conditional, $0.bool(true), $0.int(1), $0.int(2)) } == .int)
        #expect(type { $0.call(Operator.conditional, $0.bool(true), $0.int(1), $0.ident("payload")) } == .dyn)
        #expect(
            type { $0.call(Operator.conditional, $0.bool(true), $0.null(), $0.path("mutation.before")) }
                == .object(changes))
        #expect(
            messages { $0.call(Operator.conditional, $0.bool(true), $0.string("a"), $0.int(1)) } == [
                "found no matching overload for '_?_:_' applied to '(bool, string, int)'"
            ])
        #expect(!messages { $0.call(Operator.conditional, $0.string("c"), $0.int(1), $0.int(2)) }.isEmpty)
    }

    @Test func logicNeedsBooleans() {
        #expect(type { $0.call(Operator.logicalAnd, $0.bool(true), $0.ident("payload")) } == .bool)
        #expect(
            messages { $0.call(Operator.logicalOr, $0.string("a"), $0.bool(true)) } == [
                "found no matching overload for '_||_' applied to '(string, bool)'"
            ])
        #expect(!messages { $0.call(Operator.logicalNot, $0.int(0)) }.isEmpty)
    }

    // MARK: Literals

    @Test func listAndMapLiterals() {
        #expect(type { $0.list($0.int(1), $0.int(2)) } == .list(.int))
        #expect(type { $0.list($0.int(1), $0.string("a")) } == .list(.dyn))
        #expect(type { $0.list() } == .list(.dyn))
        #expect(type { $0.list($0.list(), $0.list($0.int(1))) } == .list(.list(.int)))
        #expect(type { $0.map(($0.string("a"), $0.int(1))) } == .map(key: .string, value: .int))
        #expect(
            type { $0.map(($0.string("a"), $0.int(1)), ($0.int(2), $0.double(2))) } == .map(key: .dyn, value: .dyn))
        #expect(type { $0.map() } == .map(key: .dyn, value: .dyn))
        #expect(type { $0.call(Operator.add, $0.list(), $0.list($0.int(3))) } == .list(.int))
        #expect(
            messages { $0.map(($0.double(1.5), $0.int(1))) } == [
                "a map key must be an int, uint, bool or string, not 'double'"
            ])
    }

    // MARK: Comprehensions

    @Test func comprehensionsDeduceElementTypes() throws {
        let tree = Tree()
        var doubled: Expr?
        let expr = tree.map(tree.list(tree.int(1), tree.int(2)), "x") {
            let product = $0.call(Operator.multiply, $0.ident("x"), $0.int(2))
            doubled = product
            return product
        }
        let checked = try check(expr).get()
        #expect(checked.resultType == .list(.int))
        #expect(checked.types[try #require(doubled).id] == .int)
        #expect(checked.types.values.allSatisfy { !"\($0)".hasPrefix("_T") })
    }

    @Test func comprehensionsOverMapsObjectsAndDyn() {
        let actorKeys = type { tree in
            tree.filter(tree.ident("actor"), "k") { $0.call("startsWith", $0.string("x"), target: $0.ident("k")) }
        }
        #expect(actorKeys == .list(.string))
        #expect(
            type { tree in
                tree.all(tree.path("mutation.changes"), "f") {
                    $0.call(Operator.notEquals, $0.ident("f"), $0.string(""))
                }
            } == .bool)
        #expect(
            type { tree in
                tree.existsOne(tree.ident("payload"), "p") {
                    $0.call(Operator.greater, $0.select($0.ident("p"), "n"), $0.int(1))
                }
            } == .bool)
        #expect(
            type { tree in
                tree.map(tree.ident("roles"), "r") { $0.call("size", $0.ident("r")) }
            } == .list(.int))
        // Nested comprehensions with their own variables.
        #expect(
            type { tree in
                tree.map(tree.ident("roles"), "r") { inner in
                    inner.filter(inner.list(inner.int(1)), "n") { $0.call(Operator.greater, $0.ident("n"), $0.int(0)) }
                }
            } == .list(.list(.int)))
        #expect(
            type { tree in
                tree.exists(tree.list(), "e") { $0.call(Operator.equals, $0.ident("e"), $0.int(2)) }
            } == .bool)
    }

    @Test func comprehensionOverAScalarIsAnError() {
        #expect(
            messages { tree in tree.all(tree.int(1), "x") { $0.bool(true) } } == [
                "cannot iterate over a value of type 'int' (it must be a list or a map)"
            ])
    }

    @Test func predicateMustBeBoolean() {
        #expect(
            messages { tree in tree.all(tree.ident("roles"), "r") { $0.ident("r") } } == [
                "found no matching overload for '_&&_' applied to '(bool, string)'"
            ])
    }

    // MARK: dyn and errors

    @Test func dynIsAcceptedEverywhere() {
        #expect(type { $0.call(Operator.add, $0.path("payload.a.b"), $0.int(1)) } == .int)
        #expect(type { $0.call(Operator.add, $0.ident("payload"), $0.ident("payload")) } == .dyn)
        #expect(type { $0.call(Operator.index, $0.ident("payload"), $0.int(0)) } == .dyn)
        #expect(type { $0.call("size", $0.ident("payload")) } == .int)
        #expect(type { $0.call(Operator.less, $0.call("dyn", $0.int(1)), $0.uint(2)) } == .bool)
        #expect(type { $0.call("startsWith", $0.string("a"), target: $0.ident("payload")) } == .bool)
        #expect(type { $0.call(Operator.in, $0.call("dyn", $0.double(3)), $0.list($0.int(1))) } == .bool)
        #expect(type { $0.call("dyn", $0.list($0.int(1), $0.string("one"))) } == .dyn)
    }

    @Test func errorsDoNotCascadeAndAllAreReported() {
        // (nope + 1 > 2) && nada.size() == 0 && mutation.changes.amout > 'x'
        let found = messages { tree in
            let first = tree.call(
                Operator.greater, tree.call(Operator.add, tree.ident("nope", at: 1), tree.int(1)), tree.int(2))
            let second = tree.call(
                Operator.equals, tree.call("size", target: tree.ident("nada", at: 20)), tree.int(0))
            let third = tree.call(
                Operator.greater, tree.select(tree.path("mutation.changes"), "amout", at: 50), tree.string("x"))
            return tree.call(Operator.logicalAnd, tree.call(Operator.logicalAnd, first, second), third)
        }
        #expect(found.count == 3)
        #expect(found.first == "undeclared reference to 'nope'")
        #expect(found.dropFirst().first == "undeclared reference to 'nada'")
        #expect(found.last?.hasPrefix("no field 'amout'") == true)
        // null < nope: no overload takes null, but the unknown name is the one problem.
        #expect(
            messages { $0.call(Operator.less, $0.null(), $0.ident("nope")) } == ["undeclared reference to 'nope'"])
        #expect(
            messages { $0.call(Operator.in, $0.list($0.ident("nope")), $0.int(1)) } == [
                "undeclared reference to 'nope'"
            ])
    }
}
