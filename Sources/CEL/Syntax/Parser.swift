/// Parses CEL source text into an ``Expr``.
///
/// The grammar, literals and escapes are those of the language definition's "Syntax" section.
/// In the tree it produces:
/// - operators are calls to the names in ``Operator``; `a[i]` is ``Operator/index``;
/// - an int or double literal directly after a unary `-` is folded into a negative literal, so
///   `-9223372036854775808` is `Int64.min` (and `-1.f()` is `(-1).f()`);
/// - a leading-dot name keeps its dot: `.a.b` is `select(ident(".a"), "b")`, `.f(x)` calls `".f"`;
/// - chains of `&&` and of `||` are built as balanced trees (`a || b || c || d` is
///   `(a || b) || (c || d)`), which the operators' semantics allow since either side may decide
///   the result, so long chains do not nest deeply; the terms stay in source order;
/// - with macros, `has`, `all`, `exists`, `exists_one`, `map` and `filter`, and the
///   two-variable `all`, `exists`, `existsOne`, `transformList`, `transformMap` and
///   `transformMapEntry` are expanded (see `Macros.swift`).
///
/// Every node has a unique ``Expr/id`` and the ``Expr/offset`` of its token: an operator's
/// symbol, a call's function name, a select's `.`, a list's `[`, a map's `{`.
public enum Parser {
    /// The deepest nesting accepted, both of the parse and of the resulting tree.
    public static let maximumDepth = 250

    /// Parses `source`; with `macros`, expands the standard macros into comprehensions.
    public static func parse(_ source: Source, macros: Bool = true) throws(CompileError) -> Expr {
        do throws(SyntaxError) {
            var parser = ExpressionParser(source: source, macros: macros)
            return try parser.parseSource()
        } catch {
            throw CompileError(
                stage: .syntax, issues: [Issue(location: source.location(of: error.offset), message: error.message)],
                source: source)
        }
    }
}

/// The recursive-descent parser behind ``Parser``: one instance per parse.
struct ExpressionParser {
    let macros: Bool
    private let scalars: [Unicode.Scalar]
    private var lexer: Lexer
    /// The current token, not yet consumed.
    private var token = Token(kind: .end, start: 0, end: 0)
    /// Height of the tree under each node, by id (index 0 is unused).
    private var heights = [0]
    /// How many expressions are being parsed inside one another.
    private var depth = 0

    init(source: Source, macros: Bool) {
        self.macros = macros
        self.scalars = source.scalars
        self.lexer = Lexer(source.scalars)
    }

    /// Parses the whole text as one expression.
    mutating func parseSource() throws(SyntaxError) -> Expr {
        try advance()
        let expr = try parseExpression()
        guard token.kind == .end else { throw unexpected() }
        return expr
    }

    // MARK: Nodes

    /// A new node with the next id; fails if the tree gets too deep.
    mutating func make(_ kind: Expr.Kind, at offset: Int) throws(SyntaxError) -> Expr {
        var below = 0
        func child(_ expr: Expr) { below = max(below, heights[expr.id]) }
        switch kind {
        case .literal, .ident:
            break
        case .select(let operand, _, _):
            child(operand)
        case .call(_, let target, let args):
            if let target { child(target) }
            args.forEach(child)
        case .list(let elements):
            elements.forEach(child)
        case .map(let entries):
            for entry in entries {
                child(entry.key)
                child(entry.value)
            }
        case .comprehension(let fold):
            [fold.iterRange, fold.accuInit, fold.loopCondition, fold.loopStep, fold.result].forEach(child)
        }
        guard below < Parser.maximumDepth else { throw tooDeep(at: offset) }
        let id = heights.count
        heights.append(below + 1)
        return Expr(id: id, offset: offset, kind: kind)
    }

    /// A call to an operator function.
    mutating func call(_ function: String, _ args: Expr..., at offset: Int) throws(SyntaxError) -> Expr {
        try make(.call(function: function, target: nil, args: args), at: offset)
    }

    // MARK: Expressions, from lowest precedence to highest

    /// `Expr = ConditionalOr ["?" ConditionalOr ":" Expr]`
    private mutating func parseExpression() throws(SyntaxError) -> Expr {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maximumDepth else { throw tooDeep(at: token.start) }
        let condition = try parseBinary(1)
        guard token.kind == .punctuation(.question) else { return condition }
        return try parseConditional(condition)
    }

    /// `"?" ConditionalOr ":" Expr` after `condition`.
    private mutating func parseConditional(_ condition: Expr) throws(SyntaxError) -> Expr {
        let offset = token.start
        try advance()
        let whenTrue = try parseBinary(1)
        try expect(.colon)
        let whenFalse = try parseExpression()
        return try call(Operator.conditional, condition, whenTrue, whenFalse, at: offset)
    }

    /// The binary operators, `ConditionalOr` down to `Multiplication`, by precedence climbing:
    /// one call handles every operator of at least `minimum` precedence, so nesting costs few
    /// stack frames. Chains of `||` or of `&&` are gathered and built as balanced trees.
    private mutating func parseBinary(_ minimum: Int) throws(SyntaxError) -> Expr {
        let operand = try parseUnary()
        guard let (_, precedence) = binaryOperator(), precedence >= minimum else { return operand }
        return try parseBinaryOperators(after: operand, minimum)
    }

    private mutating func parseBinaryOperators(after operand: Expr, _ minimum: Int) throws(SyntaxError) -> Expr {
        var expr = operand
        while let (function, precedence) = binaryOperator(), precedence >= minimum {
            if function == Operator.logicalOr || function == Operator.logicalAnd {
                var terms = [expr]
                var offsets: [Int] = []
                while binaryOperator()?.function == function {
                    offsets.append(token.start)
                    try advance()
                    terms.append(try parseBinary(precedence + 1))
                }
                expr = try balance(terms, offsets, function, 0, terms.count - 1)
            } else {
                let offset = token.start
                try advance()
                expr = try call(function, expr, try parseBinary(precedence + 1), at: offset)
            }
        }
        return expr
    }

    /// The binary operator at the current token, with its precedence (higher binds tighter).
    private func binaryOperator() -> (function: String, precedence: Int)? {
        switch token.kind {
        case .punctuation(.or): (Operator.logicalOr, 1)
        case .punctuation(.and): (Operator.logicalAnd, 2)
        case .punctuation(.less): (Operator.less, 3)
        case .punctuation(.lessEquals): (Operator.lessEquals, 3)
        case .punctuation(.greater): (Operator.greater, 3)
        case .punctuation(.greaterEquals): (Operator.greaterEquals, 3)
        case .punctuation(.equals): (Operator.equals, 3)
        case .punctuation(.notEquals): (Operator.notEquals, 3)
        case .in: (Operator.in, 3)
        case .punctuation(.plus): (Operator.add, 4)
        case .punctuation(.minus): (Operator.subtract, 4)
        case .punctuation(.star): (Operator.multiply, 5)
        case .punctuation(.slash): (Operator.divide, 5)
        case .punctuation(.percent): (Operator.modulo, 5)
        default: nil
        }
    }

    /// Joins `terms[low...high]` with `function`; `offsets[i]` is the operator between terms `i`
    /// and `i + 1`.
    private mutating func balance(
        _ terms: [Expr], _ offsets: [Int], _ function: String, _ low: Int, _ high: Int
    ) throws(SyntaxError) -> Expr {
        guard low < high else { return terms[low] }
        let middle = (low + high) / 2
        let left = try balance(terms, offsets, function, low, middle)
        let right = try balance(terms, offsets, function, middle + 1, high)
        return try call(function, left, right, at: offsets[middle])
    }

    // The functions on the path of nested parentheses, lists and calls keep few locals, so
    // that each level of nesting costs little stack; the rest is in helpers.

    /// `Unary = Member | "!" {"!"} Member | "-" {"-"} Member`.
    private mutating func parseUnary() throws(SyntaxError) -> Expr {
        switch token.kind {
        case .punctuation(.bang), .punctuation(.minus): try parseUnaryOperators()
        default: try parseMember()
        }
    }

    /// A run of `!` or of `-` and its operand. The last `-` before a number is left for
    /// ``parsePrimary()`` to read as a negative literal.
    private mutating func parseUnaryOperators() throws(SyntaxError) -> Expr {
        let symbol = token.kind
        let function = symbol == .punctuation(.bang) ? Operator.logicalNot : Operator.negate
        var offsets: [Int] = []
        while token.kind == symbol, !minusStartsLiteral() {
            offsets.append(token.start)
            try advance()
        }
        var expr = try parseMember()
        for offset in offsets.reversed() {
            expr = try call(function, expr, at: offset)
        }
        return expr
    }

    /// `Member = Primary | Member "." SELECTOR ["(" [ExprList] ")"] | Member "[" Expr "]"`
    private mutating func parseMember() throws(SyntaxError) -> Expr {
        let (primary, isName) = try parsePrimary()
        switch token.kind {
        case .punctuation(.dot), .punctuation(.leftBracket), .punctuation(.leftBrace):
            return try parseSuffixes(after: primary, isName: isName)
        default:
            return primary
        }
    }

    /// The selections, calls and indexes after a primary expression.
    private mutating func parseSuffixes(after primary: Expr, isName: Bool) throws(SyntaxError) -> Expr {
        var (expr, isName) = (primary, isName)
        while true {
            switch token.kind {
            case .punctuation(.dot):
                (expr, isName) = try parseSelection(on: expr, isName: isName)
            case .punctuation(.leftBracket):
                let offset = token.start
                try advance()
                let index = try parseExpression()
                try expect(.rightBracket)
                expr = try call(Operator.index, expr, index, at: offset)
                isName = false
            case .punctuation(.leftBrace) where isName:
                throw SyntaxError(offset: token.start, message: "message construction is not supported")
            default:
                return expr
            }
        }
    }

    /// `"." SELECTOR ["(" [ExprList] ")"]` after `operand`, the current token being the `.`; and
    /// whether the result is still a plain name.
    private mutating func parseSelection(on operand: Expr, isName: Bool) throws(SyntaxError) -> (Expr, Bool) {
        let dot = token.start
        try advance()
        switch token.kind {
        case .identifier(let name):
            let nameOffset = token.start
            try advance()
            guard token.kind == .punctuation(.leftParen) else {
                return (try make(.select(operand: operand, field: name, testOnly: false), at: dot), isName)
            }
            let args = try parseArguments()
            return (try receiverCall(name, on: operand, args, at: nameOffset), false)
        case .quotedIdentifier(let name):
            try advance()
            return (try make(.select(operand: operand, field: name, testOnly: false), at: dot), false)
        default:
            throw unexpected(expecting: "a field name after '.'")
        }
    }

    /// A primary expression, and whether it is a plain (possibly leading-dot) name, which could
    /// begin a message name.
    private mutating func parsePrimary() throws(SyntaxError) -> (Expr, isName: Bool) {
        switch token.kind {
        case .punctuation(.leftParen):
            try advance()
            let expr = try parseExpression()
            try expect(.rightParen)
            return (expr, false)
        case .punctuation(.leftBracket):
            return (try parseList(), false)
        case .punctuation(.leftBrace):
            return (try parseMap(), false)
        case .punctuation(.dot), .identifier:
            return try parseName()
        default:
            return (try literal(), false)
        }
    }

    /// `"[" [ExprList] [","] "]"`
    private mutating func parseList() throws(SyntaxError) -> Expr {
        let start = token.start
        try advance()
        let elements = try parseSequence(closingWith: .rightBracket) { parser throws(SyntaxError) in
            try parser.parseExpression()
        }
        return try make(.list(elements), at: start)
    }

    /// `"{" [MapInits] [","] "}"`
    private mutating func parseMap() throws(SyntaxError) -> Expr {
        let start = token.start
        try advance()
        let entries = try parseSequence(closingWith: .rightBrace) { parser throws(SyntaxError) in
            let key = try parser.parseExpression()
            try parser.expect(.colon)
            return Expr.MapEntry(key: key, value: try parser.parseExpression())
        }
        return try make(.map(entries), at: start)
    }

    /// `["."] IDENT ["(" [ExprList] ")"]`
    private mutating func parseName() throws(SyntaxError) -> (Expr, isName: Bool) {
        let start = token.start
        var prefix = ""
        if token.kind == .punctuation(.dot) {
            prefix = "."
            try advance()
        }
        guard case .identifier(let name) = token.kind else {
            throw unexpected(expecting: "an identifier after '.'")
        }
        if reservedWords.contains(name) {
            throw SyntaxError(offset: token.start, message: "'\(name)' is a reserved word and cannot be an identifier")
        }
        try advance()
        guard token.kind == .punctuation(.leftParen) else {
            return (try make(.ident(prefix + name), at: start), true)
        }
        let args = try parseArguments()
        return (try globalCall(prefix + name, args, at: start), false)
    }

    /// A literal, negative after a `-` (only ints and doubles can be).
    private mutating func literal() throws(SyntaxError) -> Expr {
        let offset = token.start
        let negative = minusStartsLiteral()
        if negative { try advance() }
        let value: Literal
        switch token.kind {
        case .int(let magnitude):
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw outOfRange() }
                value = .int(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude))
            } else {
                guard magnitude <= UInt64(Int64.max) else { throw outOfRange() }
                value = .int(Int64(magnitude))
            }
        case .double(let number): value = .double(negative ? -number : number)
        case .uint(let number): value = .uint(number)
        case .string(let text): value = .string(text)
        case .bytes(let octets): value = .bytes(octets)
        case .true: value = .bool(true)
        case .false: value = .bool(false)
        case .null: value = .null
        default: throw unexpected()
        }
        try advance()
        return try make(.literal(value), at: offset)
    }

    /// `"(" [ExprList] ")"`, the current token being the `(`.
    private mutating func parseArguments() throws(SyntaxError) -> [Expr] {
        try expect(.leftParen)
        var args: [Expr] = []
        if token.kind == .punctuation(.rightParen) {
            try advance()
            return args
        }
        while true {
            args.append(try parseExpression())
            switch token.kind {
            case .punctuation(.comma): try advance()
            case .punctuation(.rightParen):
                try advance()
                return args
            default: throw unexpected(expecting: "',' or ')'")
            }
        }
    }

    /// The items of a list or map literal up to `closing`: `[Items] [","] closing`, the opening
    /// bracket already consumed.
    private mutating func parseSequence<Item>(
        closingWith closing: Punctuation,
        _ item: (inout ExpressionParser) throws(SyntaxError) -> Item
    ) throws(SyntaxError) -> [Item] {
        var items: [Item] = []
        if token.kind == .punctuation(.comma) {
            try advance()
            try expect(closing)
            return items
        }
        while token.kind != .punctuation(closing) {
            items.append(try item(&self))
            switch token.kind {
            case .punctuation(.comma): try advance()
            case .punctuation(closing): break
            default: throw unexpected(expecting: "',' or '\(closing.rawValue)'")
            }
        }
        try advance()
        return items
    }

    // MARK: Tokens

    private mutating func advance() throws(SyntaxError) {
        token = try lexer.next()
    }

    private mutating func expect(_ punctuation: Punctuation) throws(SyntaxError) {
        guard token.kind == .punctuation(punctuation) else {
            throw unexpected(expecting: "'\(punctuation.rawValue)'")
        }
        try advance()
    }

    /// Whether the current token is a `-` directly followed by an int or double literal.
    private func minusStartsLiteral() -> Bool {
        guard token.kind == .punctuation(.minus) else { return false }
        var lookahead = lexer
        switch (try? lookahead.next())?.kind {
        case .int, .double: return true
        default: return false
        }
    }

    // MARK: Errors

    private func unexpected(expecting expected: String? = nil) -> SyntaxError {
        let found: String
        if token.kind == .end {
            found = "end of input"
        } else {
            let text = scalars[token.start..<token.end]
            var view = String.UnicodeScalarView()
            view.append(contentsOf: text.prefix(24))
            found = "'\(String(view))\(text.count > 24 ? "…" : "")'"
        }
        guard let expected else {
            return SyntaxError(offset: token.start, message: "unexpected \(token.kind == .end ? "" : "token ")\(found)")
        }
        return SyntaxError(offset: token.start, message: "expected \(expected) but found \(found)")
    }

    private func outOfRange() -> SyntaxError {
        SyntaxError(offset: token.start, message: "integer literal is out of range for int")
    }

    private func tooDeep(at offset: Int) -> SyntaxError {
        SyntaxError(
            offset: offset, message: "expression nests too deeply (more than \(Parser.maximumDepth) levels)")
    }
}

/// Words kept for host languages; they cannot be identifiers or global function names.
private let reservedWords: Set<String> = [
    "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
    "namespace", "return", "var", "void", "while",
]
