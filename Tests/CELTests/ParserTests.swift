import Testing

@testable import CEL

@Suite struct ParserTests {
    // MARK: Literals

    @Test(arguments: [
        ("0", Literal.int(0)),
        ("42", .int(42)),
        ("9223372036854775807", .int(.max)),
        ("-9223372036854775808", .int(.min)),
        ("-1", .int(-1)),
        ("0x55555555", .int(1_431_655_765)),
        ("-0x55555555", .int(-1_431_655_765)),
        ("-0x8000000000000000", .int(.min)),
        ("1u", .uint(1)),
        ("123456789U", .uint(123_456_789)),
        ("0x55555555u", .uint(1_431_655_765)),
        ("18446744073709551615u", .uint(.max)),
        ("1.0", .double(1)),
        (".5", .double(0.5)),
        ("0.0", .double(0)),
        ("1e3", .double(1000)),
        ("0e+0", .double(0)),
        ("1.5e-3", .double(0.0015)),
        ("-2.3e+1", .double(-23)),
        (".700e1", .double(7)),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("null", .null),
    ])
    func numbersAndConstants(source: String, expected: Literal) throws {
        #expect(try literal(source) == expected)
    }

    @Test(arguments: [
        (#""abc""#, "abc"),
        ("'abc'", "abc"),
        (#"'""'"#, #""""#),
        ("''", ""),
        ("'''x''x'''", "x''x"),
        (#""""one "two" three""""#, #"one "two" three"#),
        (#""""ends with \"""""#, #"ends with ""#),
        ("'''line\nbreak'''", "line\nbreak"),
        (#"r"\n\d""#, #"\n\d"#),
        (#"R'\'"#, #"\"#),
        (#"r'''a\'''"#, #"a\"#),
        (#"'\a\b\f\n\r\t\v\\\'\"\`\?'"#, "\u{07}\u{08}\u{0C}\n\r\t\u{0B}\\'\"`?"),
        (#""\x41\X42""#, "AB"),
        (#""\xFF""#, "ÿ"),
        (#""\101\060""#, "A0"),
        (#""\377""#, "ÿ"),
        (#""\303\277""#, "Ã¿"),
        (#""\u270c""#, "✌"),
        (#""\U0001f431""#, "🐱"),
        ("'πέντε'", "πέντε"),
    ])
    func strings(source: String, expected: String) throws {
        #expect(try literal(source) == .string(expected))
    }

    @Test(arguments: [
        (#"b"abc""#, [97, 98, 99]),
        ("b'ÿ'", [195, 191]),
        (#"b"\303\277""#, [195, 191]),
        (#"b"\377""#, [255]),
        (#"B'\xff'"#, [255]),
        (#"b'\000\xff'"#, [0, 255]),
        (#"b"\u00ff""#, [195, 191]),
        (#"br"\x""#, [92, 120]),
        (#"BR'''\'''"#, [92]),
        ("b''", []),
    ] as [(String, [UInt8])])
    func bytes(source: String, expected: [UInt8]) throws {
        #expect(try literal(source) == .bytes(expected))
    }

    // MARK: Structure

    @Test(arguments: [
        ("a || b && c", "_||_(a, _&&_(b, c))"),
        ("a && b || c", "_||_(_&&_(a, b), c)"),
        ("a || b || c || d", "_||_(_||_(a, b), _||_(c, d))"),
        ("a && b && c", "_&&_(_&&_(a, b), c)"),
        ("a + b * c - d", "_-_(_+_(a, _*_(b, c)), d)"),
        ("a - b - c", "_-_(_-_(a, b), c)"),
        ("a / b % c * d", "_*_(_%_(_/_(a, b), c), d)"),
        ("a < b == c", "_==_(_<_(a, b), c)"),
        ("a + 1 <= b && c != d", "_&&_(_<=_(_+_(a, 1), b), _!=_(c, d))"),
        ("x in [1, 2] || y >= 3u", "_||_(@in(x, [1, 2]), _>=_(y, 3u))"),
        ("a ? b : c ? d : e", "_?_:_(a, b, _?_:_(c, d, e))"),
        ("a || b ? c + d : e", "_?_:_(_||_(a, b), _+_(c, d), e)"),
        ("(a ? b : c) ? d : e", "_?_:_(_?_:_(a, b, c), d, e)"),
        ("!a", "!_(a)"),
        ("!!a", "!_(!_(a))"),
        ("-a.b", "-_(a.b)"),
        ("--a", "-_(-_(a))"),
        ("--1", "-_(-1)"),
        ("-(1)", "-_(1)"),
        ("- 2.5", "-2.5"),
        ("-1u", "-_(1u)"),
        ("a-1", "_-_(a, 1)"),
        ("a - -1", "_-_(a, -1)"),
        ("!-1", "!_(-1)"),
        ("-1.f()", "-1.f()"),
        ("(a + b) * c", "_*_(_+_(a, b), c)"),
        ("a.b[c].d(e, f)", "_[_](a.b, c).d(e, f)"),
        ("f()", "f()"),
        ("a.b.c", "a.b.c"),
        (".a.b", ".a.b"),
        (".f(x)", ".f(x)"),
        ("a.package()", "a.package()"),
        ("a.if", "a.if"),
        ("{'/api': 1}.`/api`", #"{"/api": 1}./api"#),
        ("x.`content-type`.`a.b c`", "x.content-type.a.b c"),
        ("[]", "[]"),
        ("[,]", "[]"),
        ("[1, 2,]", "[1, 2]"),
        ("{}", "{}"),
        ("{1: 'a', 'b': [2],}", #"{1: "a", "b": [2]}"#),
        ("[[1], {2: 3}][0][1]", "_[_](_[_]([[1], {2: 3}], 0), 1)"),
        ("a // a comment\n + b // another", "_+_(a, b)"),
        ("\ta\u{0C}\r\n+\nb", "_+_(a, b)"),
    ])
    func structure(source: String, expected: String) throws {
        #expect(render(try Parser.parse(Source(source))) == expected)
    }

    @Test func idsAreUniqueAndOffsetsPointAtTokens() throws {
        let expr = try Parser.parse(Source("a + f(b)\n  .c[0] && [1].all(x, x > 0)"))
        var ids: [Int] = []
        collect(expr) { ids.append($0.id) }
        #expect(Set(ids).count == ids.count)

        let sum = try Parser.parse(Source("ab + 'π'.c(d)"))
        guard case .call(_, nil, let args) = sum.kind else { Issue.record("not a call"); return }
        #expect(sum.offset == 3)
        #expect(args[0].offset == 0)
        guard case .call("c", let target?, let callArgs) = args[1].kind else { Issue.record("not c()"); return }
        #expect(args[1].offset == 9)  // the function name; offsets count Unicode scalars
        #expect(target.offset == 5)
        #expect(callArgs[0].offset == 11)
    }

    // MARK: Macros

    @Test(arguments: [
        ("has(a.b)", "has(a.b)"),
        ("has(a.b.c)", "has(a.b.c)"),
        (
            "[1].all(x, x > 0)",
            "fold(x, [1], __result__, true, @not_strictly_false(__result__), _&&_(__result__, _>_(x, 0)), __result__)"
        ),
        (
            "l.exists(x, p)",
            "fold(x, l, __result__, false, @not_strictly_false(!_(__result__)), _||_(__result__, p), __result__)"
        ),
        (
            "l.exists_one(x, p)",
            "fold(x, l, __result__, 0, true, _?_:_(p, _+_(__result__, 1), __result__), _==_(__result__, 1))"
        ),
        ("l.map(x, x * 2)", "fold(x, l, __result__, [], true, _+_(__result__, [_*_(x, 2)]), __result__)"),
        (
            "l.map(x, p, t)",
            "fold(x, l, __result__, [], true, _?_:_(p, _+_(__result__, [t]), __result__), __result__)"
        ),
        (
            "l.filter(x, p)",
            "fold(x, l, __result__, [], true, _?_:_(p, _+_(__result__, [x]), __result__), __result__)"
        ),
        (
            "l.all(i, v, p)",
            "fold(i, v, l, __result__, true, @not_strictly_false(__result__), _&&_(__result__, p), __result__)"
        ),
        (
            "m.exists(k, v, p)",
            "fold(k, v, m, __result__, false, @not_strictly_false(!_(__result__)), _||_(__result__, p), __result__)"
        ),
        (
            "l.existsOne(i, v, p)",
            "fold(i, v, l, __result__, 0, true, _?_:_(p, _+_(__result__, 1), __result__), _==_(__result__, 1))"
        ),
        (
            "l.exists_one(i, v, p)",
            "fold(i, v, l, __result__, 0, true, _?_:_(p, _+_(__result__, 1), __result__), _==_(__result__, 1))"
        ),
        ("l.transformList(i, v, t)", "fold(i, v, l, __result__, [], true, _+_(__result__, [t]), __result__)"),
        (
            "l.transformList(i, v, p, t)",
            "fold(i, v, l, __result__, [], true, _?_:_(p, _+_(__result__, [t]), __result__), __result__)"
        ),
        (
            "m.transformMap(k, v, t)",
            "fold(k, v, m, __result__, {}, true, cel.@mapInsert(__result__, k, t), __result__)"
        ),
        (
            "m.transformMap(k, v, p, t)",
            "fold(k, v, m, __result__, {}, true, _?_:_(p, cel.@mapInsert(__result__, k, t), __result__), __result__)"
        ),
        (
            "m.transformMapEntry(k, v, t)",
            "fold(k, v, m, __result__, {}, true, cel.@mapInsert(__result__, t), __result__)"
        ),
        (
            "m.transformMapEntry(k, v, p, t)",
            "fold(k, v, m, __result__, {}, true, _?_:_(p, cel.@mapInsert(__result__, t), __result__), __result__)"
        ),
        ("l.map(x)", "l.map(x)"),
        ("l.all(x, y, z, w)", "l.all(x, y, z, w)"),
        ("l.filter(i, v, p)", "l.filter(i, v, p)"),
        ("l.map(i, v, p, t)", "l.map(i, v, p, t)"),
        ("l.existsOne(x, p)", "l.existsOne(x, p)"),
        ("l.transformList(i, v)", "l.transformList(i, v)"),
        ("m.transformMapEntry(k, v, p, t, u)", "m.transformMapEntry(k, v, p, t, u)"),
        ("transformList(l, i, v, t)", "transformList(l, i, v, t)"),
        ("has(a.b, c)", "has(a.b, c)"),
        (".has(a.b)", ".has(a.b)"),
        ("a.has(b.c)", "a.has(b.c)"),
        ("exists(x, p)", "exists(x, p)"),
    ])
    func macroExpansion(source: String, expected: String) throws {
        #expect(render(try Parser.parse(Source(source))) == expected)
    }

    @Test func macrosCanBeTurnedOff() throws {
        let source = Source("has(a.b) && l.all(x, x > 0)")
        #expect(render(try Parser.parse(source, macros: false)) == "_&&_(has(a.b), l.all(x, _>_(x, 0)))")
    }

    @Test func nestedMacrosKeepTheirOwnVariables() throws {
        let expr = try Parser.parse(Source("['a'].filter(s, ['b'].all(t, true))"))
        guard case .comprehension(let outer) = expr.kind,
            case .call(_, _, let args) = outer.loopStep.kind,
            case .comprehension(let inner) = args[0].kind
        else {
            Issue.record("unexpected shape: \(render(expr))")
            return
        }
        #expect(outer.iterVar == "s")
        #expect(inner.iterVar == "t")
    }

    // MARK: Errors

    @Test(arguments: [
        ("9223372036854775808", "integer literal is out of range", 1, 1),
        ("-9223372036854775809", "integer literal is out of range", 1, 2),
        ("18446744073709551616", "integer literal is out of range", 1, 1),
        ("18446744073709551616u", "integer literal is out of range", 1, 1),
        ("0x10000000000000000", "integer literal is out of range", 1, 1),
        ("1e400", "out of range", 1, 1),
        ("0x", "hexadecimal digits", 1, 1),
        (#"'a\sb'"#, #"invalid escape sequence '\s'"#, 1, 3),
        (#""\uD83D\uDE03""#, "invalid Unicode code point", 1, 2),
        (#""\UD83DDE03""#, "invalid Unicode code point", 1, 2),
        (#""\uDFFF""#, "U+DFFF is a surrogate", 1, 2),
        (#""\U00110000""#, "invalid Unicode code point", 1, 2),
        (#""\x4""#, "expected 2 hexadecimal digits", 1, 2),
        (#""\400""#, "invalid escape sequence '\\4'", 1, 2),
        (#""\19""#, "invalid octal escape", 1, 2),
        (#"b"\U0001f431""#, "not allowed in bytes", 1, 3),
        ("'abc", "unterminated string literal", 1, 1),
        ("x + 'a\nb'", "unterminated string literal", 1, 5),
        ("'''abc''", "unterminated string literal", 1, 1),
        (#""""a"""""#, "unterminated string literal", 1, 8),
        ("rb'x'", "unexpected token ''x''", 1, 3),
        ("if", "'if' is a reserved word", 1, 1),
        ("a + package.x", "'package' is a reserved word", 1, 5),
        ("while(x)", "'while' is a reserved word", 1, 1),
        (".let", "'let' is a reserved word", 1, 2),
        ("in", "unexpected token 'in'", 1, 1),
        ("a.in", "expected a field name after '.' but found 'in'", 1, 3),
        ("a.true", "expected a field name after '.'", 1, 3),
        ("a = b", "unexpected character '='", 1, 3),
        ("a & b", "did you mean '&&'?", 1, 3),
        ("a # b", "unexpected character '#'", 1, 3),
        ("1 +", "unexpected end of input", 1, 4),
        ("", "unexpected end of input", 1, 1),
        ("a b", "unexpected token 'b'", 1, 3),
        ("f(a)(b)", "unexpected token '('", 1, 5),
        ("f(a,)", "unexpected token ')'", 1, 5),
        ("f(a b)", "expected ',' or ')' but found 'b'", 1, 5),
        ("[1 2]", "expected ',' or ']' but found '2'", 1, 4),
        ("[1,,]", "unexpected token ','", 1, 4),
        ("[, 1]", "expected ']' but found '1'", 1, 4),
        ("{1 2}", "expected ':' but found '2'", 1, 4),
        ("{1: 2,,}", "unexpected token ','", 1, 7),
        ("a[1", "expected ']' but found end of input", 1, 4),
        ("a ? b", "expected ':' but found end of input", 1, 6),
        ("a.`b", "unterminated quoted identifier", 1, 3),
        ("a.`b!`", "invalid character '!' in quoted identifier", 1, 5),
        ("`a`", "unexpected token '`a`'", 1, 1),
        ("Foo{a: 1}", "message construction is not supported", 1, 4),
        (".pkg.Foo{}", "message construction is not supported", 1, 9),
        ("has(a)", "the argument of has() must be a field selection", 1, 5),
        ("has(a[1])", "the argument of has() must be a field selection", 1, 6),
        ("l.all(x.y, true)", "the first argument of all() must be a simple identifier", 1, 8),
        ("l.map(1, 2)", "the first argument of map() must be a simple identifier", 1, 7),
        ("l.exists(.x, true)", "must be a simple identifier", 1, 10),
        ("l.filter(__result__, true)", "'__result__' is reserved", 1, 10),
        ("l.all(i, v.w, true)", "the second argument of all() must be a simple identifier", 1, 11),
        ("m.transformMap(k, __result__, 1)", "'__result__' is reserved", 1, 19),
        ("l.existsOne(i, i, true)", "the variables of existsOne() must differ ('i' twice)", 1, 16),
        ("a &&\n  (b ||\n   c", "expected ')' but found end of input", 3, 5),
        ("[1, 2\n, 3 4]", "expected ',' or ']' but found '4'", 2, 5),
        ("x == 1 &&\n  y == 'a\\qb'", "invalid escape sequence '\\q'", 2, 10),
        ("'''first\nsecond''' + \n  ]", "unexpected token ']'", 3, 3),
    ])
    func syntaxErrors(source: String, message: String, line: Int, column: Int) {
        #expect(throws: CompileError.self) { try Parser.parse(Source(source)) }
        do {
            _ = try Parser.parse(Source(source))
        } catch {
            #expect(error.stage == .syntax)
            let issue = error.issues.first
            #expect(issue?.message.contains(message) == true, "message: \(issue?.message ?? "none")")
            #expect(issue?.location.line == line)
            #expect(issue?.location.column == column)
        }
    }

    @Test func errorDescriptionShowsTheLineAndACaret() {
        do {
            _ = try Parser.parse(Source("a +\n  b c"))
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "ERROR: <input>:2:5: unexpected token 'c'\n |   b c\n |     ^")
        }
    }

    // MARK: Limits

    @Test func acceptsWhatTheSpecificationRequires() throws {
        let terms = (0..<32).map { "x\($0)" }
        _ = try Parser.parse(Source(terms.joined(separator: " || ")))
        _ = try Parser.parse(Source(terms.joined(separator: " && ")))
        _ = try Parser.parse(Source("f(\(terms.joined(separator: ", ")))"))
        _ = try Parser.parse(Source("[\(terms.joined(separator: ", "))]"))
        _ = try Parser.parse(Source("{\(terms.map { "\($0): 1" }.joined(separator: ", "))}"))
        _ = try Parser.parse(Source(String(repeating: "a ? b : ", count: 24) + "c"))
        _ = try Parser.parse(Source(terms.prefix(25).joined(separator: " + ")))
        _ = try Parser.parse(Source(terms.prefix(25).joined(separator: " < ")))
        _ = try Parser.parse(Source(String(repeating: "f(", count: 12) + "x" + String(repeating: ")", count: 12)))
        _ = try Parser.parse(Source("a" + String(repeating: ".b", count: 12)))
        _ = try Parser.parse(Source("a" + String(repeating: "[0]", count: 12)))
        _ = try Parser.parse(Source(String(repeating: "[{1: ", count: 12) + "1" + String(repeating: "}]", count: 12)))
        // Long chains of || and && are balanced, so they stay shallow.
        _ = try Parser.parse(Source(Array(repeating: "x == 'a'", count: 5000).joined(separator: " || ")))
    }

    /// Inputs nested more deeply than the limit, by name (so test names stay short).
    private static let deepInputs: [String: String] = [
        "parentheses": String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300),
        "lists": String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
        "maps": String(repeating: "{1: ", count: 300) + "1" + String(repeating: "}", count: 300),
        "calls": String(repeating: "f(", count: 300) + String(repeating: ")", count: 300),
        "negations": String(repeating: "!", count: 300) + "a",
        "many minus signs": String(repeating: "-", count: 100_000) + "a",
        "additions": Array(repeating: "a", count: 300).joined(separator: " + "),
        "selections": "a" + String(repeating: ".b", count: 300),
        "indexes": "a" + String(repeating: "[0]", count: 300),
        "conditionals": String(repeating: "a ? b : ", count: 300) + "c",
        "macros": String(repeating: "l.map(x, ", count: 100) + "x" + String(repeating: ")", count: 100),
        "unclosed parentheses": String(repeating: "(", count: 100_000),
    ]

    @Test(arguments: deepInputs.keys.sorted())
    func rejectsDeepNesting(shape: String) {
        do {
            _ = try Parser.parse(Source(Self.deepInputs[shape]!))
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.first?.message.contains("nests too deeply") == true)
        }
    }

    @Test func survivesRandomInput() {
        let fragments = [
            "a", "b1", "_x", "1", "0x", "0xFu", "2u", "1.5", ".5", "1e", "1e-3", "'", "\"", "'''", "r'", "b\"", "\\",
            "\\x4", "\\u00", "\\U0010FFFF", "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "+", "-", "*", "/", "%",
            "!", "<", "<=", ">", ">=", "==", "!=", "&&", "||", "=", "&", "|", "in", "has", "all", "map", "exists_one",
            "filter", "true", "null", "if", " ", "\n", "//", "`", "`a-b`", "é", "🐱", "\u{0}", "9223372036854775808",
        ]
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<4000 {
            let count = Int(random.next() % 24)
            let text = (0..<count).map { _ in fragments[Int(random.next() % UInt64(fragments.count))] }.joined()
            let source = Source(text)
            do {
                let expr = try Parser.parse(source)
                var ids = Set<Int>()
                var total = 0
                collect(expr) {
                    ids.insert($0.id)
                    total += 1
                    #expect($0.offset >= 0 && $0.offset <= source.scalars.count, "\(text)")
                }
                #expect(ids.count == total, "\(text)")
            } catch {
                #expect(error.issues.count == 1, "\(text)")
                let offset = error.issues[0].location.offset
                #expect(offset >= 0 && offset <= source.scalars.count, "\(text)")
            }
        }
    }
}

// MARK: - Helpers

private func literal(_ text: String) throws -> Literal? {
    let expr = try Parser.parse(Source(text))
    guard case .literal(let value) = expr.kind else { return nil }
    return value
}

/// A compact, stable rendering of a tree, for comparing shapes.
private func render(_ expr: Expr) -> String {
    func list(_ exprs: [Expr]) -> String { exprs.map(render).joined(separator: ", ") }
    switch expr.kind {
    case .literal(let value):
        switch value {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .int(let value): return "\(value)"
        case .uint(let value): return "\(value)u"
        case .double(let value): return "\(value)"
        case .string(let value): return value.debugDescription
        case .bytes(let value): return "b\(value)"
        }
    case .ident(let name):
        return name
    case .select(let operand, let field, let testOnly):
        return testOnly ? "has(\(render(operand)).\(field))" : "\(render(operand)).\(field)"
    case .call(let function, let target, let args):
        return (target.map { render($0) + "." } ?? "") + "\(function)(\(list(args)))"
    case .list(let elements):
        return "[\(list(elements))]"
    case .map(let entries):
        return "{" + entries.map { "\(render($0.key)): \(render($0.value))" }.joined(separator: ", ") + "}"
    case .comprehension(let fold):
        let parts = [fold.iterRange, fold.accuInit, fold.loopCondition, fold.loopStep, fold.result].map(render)
        let variables = ([fold.iterVar] + (fold.iterVar2.map { [$0] } ?? [])).joined(separator: ", ")
        return "fold(\(variables), \(parts[0]), \(fold.accuVar), \(parts[1...].joined(separator: ", ")))"
    }
}

/// Calls `visit` on every node of a tree.
private func collect(_ expr: Expr, _ visit: (Expr) -> Void) {
    visit(expr)
    switch expr.kind {
    case .literal, .ident: break
    case .select(let operand, _, _): collect(operand, visit)
    case .call(_, let target, let args):
        if let target { collect(target, visit) }
        args.forEach { collect($0, visit) }
    case .list(let elements): elements.forEach { collect($0, visit) }
    case .map(let entries):
        entries.forEach {
            collect($0.key, visit)
            collect($0.value, visit)
        }
    case .comprehension(let fold):
        [fold.iterRange, fold.accuInit, fold.loopCondition, fold.loopStep, fold.result].forEach { collect($0, visit) }
    }
}

/// A small seeded generator, so the random inputs are the same on every run.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
