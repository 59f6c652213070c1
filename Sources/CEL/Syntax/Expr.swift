/// A node of a parsed CEL expression.
///
/// Macros (`has`, `all`, `exists`, `exists_one`, `map`, `filter`, and the two-variable
/// `all`, `exists`, `existsOne`, `transformList`, `transformMap`, `transformMapEntry`) are
/// expanded by the parser into `select(testOnly: true)` and `comprehension` nodes, as the
/// language definition describes.
public struct Expr: Sendable {
    /// Unique within one parsed expression; the checker keys its types by it.
    public var id: Int
    /// Offset of the node in the source, in Unicode scalars (see ``Source/location(of:)``).
    public var offset: Int
    /// What the node is.
    public var kind: Kind

    public init(id: Int, offset: Int, kind: Kind) {
        self.id = id
        self.offset = offset
        self.kind = kind
    }

    /// The kinds of node.
    public indirect enum Kind: Sendable {
        case literal(Literal)
        /// A name, possibly qualified (`a.b.c` is still parsed as selects; see name resolution).
        case ident(String)
        /// `operand.field`; with `testOnly` it is the expansion of `has(operand.field)`.
        case select(operand: Expr, field: String, testOnly: Bool)
        /// A global call `f(args)` or a receiver call `target.f(args)`. Operators are calls to
        /// their internal names (`_+_`, `_&&_`, `!_`, `-_`, `_[_]`, `_?_:_`, `@in`, …).
        case call(function: String, target: Expr?, args: [Expr])
        case list([Expr])
        case map([MapEntry])
        case comprehension(Comprehension)
    }

    /// One `key: value` of a map literal.
    public struct MapEntry: Sendable {
        public var key: Expr
        public var value: Expr
        public init(key: Expr, value: Expr) {
            self.key = key
            self.value = value
        }
    }

    /// The general fold that macros expand to (language definition, "Macros").
    ///
    /// With one variable, `iterVar` takes each element of a list or each key of a map. With two
    /// (`iterVar2` set), `iterVar` takes a list's index or a map's key and `iterVar2` the element
    /// or the value.
    public struct Comprehension: Sendable {
        public var iterVar: String
        /// The second variable of a two-variable comprehension, bound to the element or value.
        public var iterVar2: String?
        public var iterRange: Expr
        public var accuVar: String
        public var accuInit: Expr
        public var loopCondition: Expr
        public var loopStep: Expr
        public var result: Expr
        public init(
            iterVar: String, iterVar2: String? = nil, iterRange: Expr, accuVar: String, accuInit: Expr,
            loopCondition: Expr, loopStep: Expr, result: Expr
        ) {
            self.iterVar = iterVar
            self.iterVar2 = iterVar2
            self.iterRange = iterRange
            self.accuVar = accuVar
            self.accuInit = accuInit
            self.loopCondition = loopCondition
            self.loopStep = loopStep
            self.result = result
        }
    }
}

/// A literal constant.
public enum Literal: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
}

/// Names of the operator functions, as the language definition spells them.
public enum Operator {
    public static let conditional = "_?_:_"
    public static let logicalAnd = "_&&_"
    public static let logicalOr = "_||_"
    public static let logicalNot = "!_"
    public static let negate = "-_"
    public static let equals = "_==_"
    public static let notEquals = "_!=_"
    public static let less = "_<_"
    public static let lessEquals = "_<=_"
    public static let greater = "_>_"
    public static let greaterEquals = "_>=_"
    public static let add = "_+_"
    public static let subtract = "_-_"
    public static let multiply = "_*_"
    public static let divide = "_/_"
    public static let modulo = "_%_"
    public static let index = "_[_]"
    public static let `in` = "@in"
    /// Used by macro expansions: true unless the argument is `false` (errors count as true).
    public static let notStrictlyFalse = "@not_strictly_false"
    /// Used by the `transformMap` and `transformMapEntry` expansions: `cel.@mapInsert(m, k, v)`
    /// is `m` with the entry `k: v` added, `cel.@mapInsert(m, n)` is `m` with the entries of the
    /// map `n` added; a key already in `m` is an error.
    public static let mapInsert = "cel.@mapInsert"
}
