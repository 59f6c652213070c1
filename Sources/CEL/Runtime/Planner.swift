/// Turns a parsed expression into a tree of ``Interpretable`` nodes, once per program:
/// resolves names (comprehension locals, dotted variables, type names), picks the specialised
/// node for each operator, and precompiles constant regular expressions.
struct Planner {
    /// Variables the environment declares; `nil` when compiled unchecked (resolve at run time).
    let declared: Set<String>?
    private var scopes: [(name: String, slot: Int)] = []
    private(set) var slotCount = 0

    init(declared: Set<String>?) {
        self.declared = declared
    }

    /// The names that denote type values when no variable of that name is declared.
    static let typeNames: [String: TypeValue] = [
        "int": .int, "uint": .uint, "double": .double, "bool": .bool, "string": .string,
        "bytes": .bytes, "list": .list, "map": .map, "null_type": .null, "type": .type,
        "google.protobuf.Timestamp": .timestamp, "google.protobuf.Duration": .duration,
    ]

    mutating func plan(_ expr: Expr) -> any Interpretable {
        switch expr.kind {
        case .literal(let literal):
            return ConstantNode(value: Self.value(of: literal))
        case .ident(let name):
            return planName(root: name, fields: [])
        case .select(let operand, let field, let testOnly):
            if testOnly { return HasNode(operand: plan(operand), field: field) }
            if let (root, fields) = Self.dottedPath(operand) {
                return planName(root: root, fields: fields + [field])
            }
            return SelectNode(operand: plan(operand), field: FieldName(field))
        case .call(let function, let target, let args):
            return planCall(function, target: target, args: args)
        case .list(let elements):
            let nodes = elements.map { plan($0) }
            if let constants = Self.constants(nodes) { return ConstantNode(value: .list(constants)) }
            return ListNode(elements: nodes)
        case .map(let entries):
            return MapNode(entries: entries.map { (key: plan($0.key), value: plan($0.value)) })
        case .comprehension(let c):
            return planComprehension(c)
        }
    }

    // MARK: Names

    /// A new slot for the comprehension variable `name`, the innermost until ``pop()``.
    mutating func push(_ name: String) -> Int {
        let slot = slotCount
        slotCount += 1
        scopes.append((name, slot))
        return slot
    }

    mutating func pop() { scopes.removeLast() }

    /// The slot of the innermost comprehension variable called `name`.
    func local(_ name: String) -> Int? {
        scopes.last { $0.name == name }?.slot
    }

    /// `a.b.c` as root `a` and fields `[b, c]`, when the chain is made of names only.
    private static func dottedPath(_ expr: Expr) -> (String, [String])? {
        switch expr.kind {
        case .ident(let name): return (name, [])
        case .select(let operand, let field, false):
            guard let (root, fields) = dottedPath(operand) else { return nil }
            return (root, fields + [field])
        default: return nil
        }
    }

    /// Resolves `root.fields…`: a comprehension variable, a (possibly dotted) variable, or a type.
    private func planName(root rawRoot: String, fields: [String]) -> any Interpretable {
        let absolute = rawRoot.hasPrefix(".")
        let root = absolute ? String(rawRoot.dropFirst()) : rawRoot
        if !absolute, let slot = local(root) {
            var node: any Interpretable = LocalNode(slot: slot)
            for field in fields { node = SelectNode(operand: node, field: FieldName(field)) }
            return node
        }
        let parts = [root] + fields
        // Longest dotted prefix first, as name resolution requires.
        var candidates: [(name: String, fields: [String])] = []
        for length in stride(from: parts.count, through: 1, by: -1) {
            candidates.append((parts[0..<length].joined(separator: "."), Array(parts[length...])))
        }
        func path(_ name: String, _ fields: [String]) -> PathNode {
            PathNode(name: FieldName(name), fields: fields.map(FieldName.init))
        }
        if let declared {
            for candidate in candidates where declared.contains(candidate.name) {
                return path(candidate.name, candidate.fields)
            }
            for candidate in candidates {
                if let type = Self.typeNames[candidate.name] {
                    return fieldsAfter(ConstantNode(value: .type(type)), candidate.fields)
                }
            }
            return path(root, fields)
        }
        // Unchecked: the activation decides at run time.
        if let type = Self.typeNames[parts.joined(separator: ".")] {
            return ConstantNode(value: .type(type))
        }
        if parts.count == 1, let type = Self.typeNames[root] {
            return TypeOrVariableNode(name: root, type: type)
        }
        if parts.count == 1 { return GlobalNode(name: root) }
        return QualifiedNode(candidates: candidates.map { ($0.name, $0.fields.map(FieldName.init)) })
    }

    private func fieldsAfter(_ node: any Interpretable, _ fields: [String]) -> any Interpretable {
        var node = node
        for field in fields { node = SelectNode(operand: node, field: FieldName(field)) }
        return node
    }

    // MARK: Calls

    private mutating func planCall(_ function: String, target: Expr?, args: [Expr]) -> any Interpretable {
        if target == nil {
            switch (function, args.count) {
            case (Operator.logicalAnd, 2): return AndNode(lhs: plan(args[0]), rhs: plan(args[1]))
            case (Operator.logicalOr, 2): return OrNode(lhs: plan(args[0]), rhs: plan(args[1]))
            case (Operator.logicalNot, 1): return NotNode(operand: plan(args[0]))
            case (Operator.notStrictlyFalse, 1): return NotStrictlyFalseNode(operand: plan(args[0]))
            case (Operator.conditional, 3):
                return ConditionalNode(condition: plan(args[0]), then: plan(args[1]), otherwise: plan(args[2]))
            case (Operator.equals, 2): return equality(args, negated: false)
            case (Operator.notEquals, 2): return equality(args, negated: true)
            case (Operator.less, 2): return relation(.less, function, args)
            case (Operator.lessEquals, 2): return relation(.lessEquals, function, args)
            case (Operator.greater, 2): return relation(.greater, function, args)
            case (Operator.greaterEquals, 2): return relation(.greaterEquals, function, args)
            case (Operator.add, 2): return arithmetic(.add, args)
            case (Operator.subtract, 2): return arithmetic(.subtract, args)
            case (Operator.multiply, 2): return arithmetic(.multiply, args)
            case (Operator.divide, 2): return arithmetic(.divide, args)
            case (Operator.modulo, 2): return arithmetic(.modulo, args)
            case (Operator.negate, 1): return NegateNode(operand: plan(args[0]))
            case (Operator.index, 2): return IndexNode(operand: plan(args[0]), index: plan(args[1]))
            case (Operator.in, 2): return InNode(element: plan(args[0]), container: plan(args[1]))
            case (Operator.mapInsert, 2), (Operator.mapInsert, 3): return mapInsert(args, takingSlot: nil)
            default: break
            }
        }
        let all = (target.map { [$0] } ?? []) + args
        if function == "matches", all.count == 2, case .literal(.string(let pattern)) = all[1].kind {
            let subject = plan(all[0])
            do {
                return MatchesNode(subject: subject, pattern: try Strings.compile(pattern))
            } catch {
                return FailingNode(error: error)
            }
        }
        let nodes = all.map { plan($0) }
        guard let implementation = StandardLibrary.function(named: function) else {
            return FailingNode(
                error: EvalError(.noMatchingOverload, "no such function '\(function)'"))
        }
        return CallNode(function: function, implementation: implementation, arguments: nodes)
    }

    private mutating func equality(_ args: [Expr], negated: Bool) -> any Interpretable {
        let lhs = plan(args[0])
        let rhs = plan(args[1])
        if let constant = rhs as? ConstantNode, !(lhs is ConstantNode) {
            return EqualsConstantNode(operand: lhs, constant: constant.value, negated: negated)
        }
        if let constant = lhs as? ConstantNode, !(rhs is ConstantNode) {
            return EqualsConstantNode(operand: rhs, constant: constant.value, negated: negated)
        }
        return EqualityNode(lhs: lhs, rhs: rhs, negated: negated)
    }

    private mutating func relation(_ relation: RelationNode.Relation, _ function: String, _ args: [Expr])
        -> any Interpretable
    {
        let lhs = plan(args[0])
        let rhs = plan(args[1])
        if let constant = rhs as? ConstantNode, !(lhs is ConstantNode) {
            return RelationConstantNode(operand: lhs, constant: constant.value, relation: relation, function: function)
        }
        // Errors name the operator as written, so only flip when the constant is on the left.
        if let constant = lhs as? ConstantNode, !(rhs is ConstantNode) {
            let flipped: RelationNode.Relation =
                switch relation {
                case .less: .greater
                case .lessEquals: .greaterEquals
                case .greater: .less
                case .greaterEquals: .lessEquals
                }
            return RelationConstantNode(operand: rhs, constant: constant.value, relation: flipped, function: function)
        }
        return RelationNode(lhs: lhs, rhs: rhs, relation: relation, function: function)
    }

    private mutating func arithmetic(_ op: ArithmeticOperator, _ args: [Expr]) -> any Interpretable {
        ArithmeticNode(lhs: plan(args[0]), rhs: plan(args[1]), op: op)
    }

    // MARK: Constants

    static func value(of literal: Literal) -> Value {
        switch literal {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .uint(let u): .uint(u)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .bytes(let b): .bytes(b)
        }
    }

    private static func constants(_ nodes: [any Interpretable]) -> [Value]? {
        var values: [Value] = []
        for node in nodes {
            guard let constant = node as? ConstantNode else { return nil }
            values.append(constant.value)
        }
        return values
    }
}

/// A declared variable with fields selected: `mutation.changes.amount`.
///
/// The path is walked in place: no value along it is copied, only the one at its end (and the
/// nodes that compare it with a constant do not copy even that).
struct PathNode: Interpretable {
    let name: FieldName
    let fields: [FieldName]

    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        try withValue(context) { value throws(EvalError) in value.pointee }
    }

    /// Calls `body` with the value at the end of the path, read in place.
    @inline(__always)
    func withValue<R>(_ context: borrowing EvalContext, _ body: (UnsafePointer<Value>) throws(EvalError) -> R)
        throws(EvalError) -> R
    {
        let result = try context.activation.withValue(of: name) { root throws(EvalError) -> R in
            try fields.withUnsafeBufferPointer { fields throws(EvalError) -> R in
                var value = root
                for i in 0..<fields.count {
                    value = try selectInPlace(value, fields.baseAddress! + i)
                }
                return try body(value)
            }
        }
        guard let result else { throw unboundVariable(name.name) }
        return result
    }
}

@inline(never)
func unboundVariable(_ name: String) -> EvalError {
    EvalError(.unboundVariable, "no such attribute: '\(name)' is not bound")
}

/// A type name that an unchecked activation may bind as a variable.
struct TypeOrVariableNode: Interpretable {
    let name: String
    let type: TypeValue
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        context.activation[name] ?? .type(type)
    }
}

/// `s.matches('constant pattern')`, with the pattern compiled once.
struct MatchesNode: @unchecked Sendable, Interpretable {
    // Regex values are immutable once built; matching does not mutate them.
    let subject: any Interpretable
    let pattern: Regex<AnyRegexOutput>
    func evaluate(_ context: inout EvalContext) throws(EvalError) -> Value {
        let value = try subject.evaluate(&context)
        guard case .string(let s) = value else { throw EvalError.noOverload("matches", value, .string("")) }
        try context.spend(s.utf8.count / 16 + 1)
        return .bool(try Strings.matches(s, pattern: pattern))
    }
}
