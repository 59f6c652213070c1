/// The work of checking one expression: the types found so far, the bindings of type
/// parameters, the comprehension scopes in force and the problems found.
struct CheckerPass {
    /// A problem, at an offset in the source.
    struct Problem {
        var offset: Int
        var message: String
    }

    let environment: Environment
    /// The type of each node checked, possibly with type parameters bound in ``substitution``.
    private(set) var types: [Int: CELType] = [:]
    private(set) var substitution = TypeSubstitution()
    private(set) var problems: [Problem] = []
    /// Comprehension variables, innermost scope last.
    private(set) var scopes: [[String: CELType]] = []
    private var typeVariableCount = 0

    init(environment: Environment) {
        self.environment = environment
    }

    /// Checks `expr` and its subexpressions, records their types and returns the type of `expr`.
    @discardableResult
    mutating func check(_ expr: Expr) -> CELType {
        let type: CELType
        switch expr.kind {
        case .literal(let literal):
            type = Self.type(of: literal)
        case .ident(let name):
            type = checkIdent(name, at: expr)
        case .select(let operand, let field, let testOnly):
            type = checkSelect(expr, operand: operand, field: field, testOnly: testOnly)
        case .call(let function, let target, let args):
            type = checkCall(expr, function: function, target: target, args: args)
        case .list(let elements):
            type = checkList(elements)
        case .map(let entries):
            type = checkMap(entries)
        case .comprehension(let comprehension):
            type = checkComprehension(comprehension, at: expr)
        }
        record(type, for: expr)
        return type
    }

    mutating func record(_ type: CELType, for expr: Expr) {
        types[expr.id] = type
    }

    mutating func report(_ message: String, at expr: Expr) {
        problems.append(Problem(offset: expr.offset, message: message))
    }

    /// Applies `body` to a copy of the bindings and keeps the copy only when `body` succeeds.
    mutating func tryUnifying(_ body: (inout TypeSubstitution) -> Bool) -> Bool {
        var trial = substitution
        guard body(&trial) else { return false }
        substitution = trial
        return true
    }

    /// A type parameter not used before in this expression.
    mutating func freshTypeVariable() -> CELType {
        typeVariableCount += 1
        return .typeParam("_T\(typeVariableCount)")
    }

    /// The type of a comprehension variable in scope, innermost first.
    func local(_ name: String) -> CELType? {
        for scope in scopes.reversed() {
            if let type = scope[name] { return type }
        }
        return nil
    }

    /// `type` as shown to a person: parameters resolved, free ones shown as `dyn`.
    func describe(_ type: CELType) -> String {
        substitution.resolve(type, freeAsDyn: true).displayText
    }

    private static func type(of literal: Literal) -> CELType {
        switch literal {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .uint: .uint
        case .double: .double
        case .string: .string
        case .bytes: .bytes
        }
    }

    private mutating func checkList(_ elements: [Expr]) -> CELType {
        var element: CELType?
        for expr in elements {
            element = join(element, check(expr))
        }
        return .list(element ?? freshTypeVariable())
    }

    private mutating func checkMap(_ entries: [Expr.MapEntry]) -> CELType {
        var key: CELType?
        var value: CELType?
        for entry in entries {
            let keyType = check(entry.key)
            switch substitution.head(keyType) {
            case .int, .uint, .bool, .string, .dyn, .error, .typeParam:
                break
            default:
                report(
                    "a map key must be an int, uint, bool or string, not '\(describe(keyType))'", at: entry.key)
            }
            key = join(key, keyType)
            value = join(value, check(entry.value))
        }
        return .map(key: key ?? freshTypeVariable(), value: value ?? freshTypeVariable())
    }

    /// The type of a literal's elements so far: the same type, or `dyn` when they differ.
    private mutating func join(_ previous: CELType?, _ current: CELType) -> CELType {
        guard let previous else { return current }
        if tryUnifying({ $0.unify(previous, current) }) {
            return TypeSubstitution.mostGeneral(previous, current)
        }
        return .dyn
    }

    private mutating func checkComprehension(_ comprehension: Expr.Comprehension, at expr: Expr) -> CELType {
        let rangeType = check(comprehension.iterRange)
        let accumulatorType = check(comprehension.accuInit)
        // What the variables take: with one, a list's elements or a map's keys; with two, a
        // list's indexes and elements, or a map's keys and values.
        let single: CELType
        let pair: (CELType, CELType)
        switch substitution.head(rangeType) {
        case .list(let element):
            (single, pair) = (element, (.int, element))
        case .map(let key, let value):
            (single, pair) = (key, (key, value))
        case .object:
            (single, pair) = (.string, (.string, .dyn))
        case .dyn, .typeParam:
            _ = tryUnifying { $0.unify(.dyn, rangeType) }
            (single, pair) = (.dyn, (.dyn, .dyn))
        case .error:
            (single, pair) = (.error, (.error, .error))
        default:
            report(
                "cannot iterate over a value of type '\(describe(rangeType))' (it must be a list or a map)",
                at: comprehension.iterRange)
            (single, pair) = (.error, (.error, .error))
        }
        var variables = [comprehension.iterVar: single]
        if let iterVar2 = comprehension.iterVar2 {
            // Assigned one at a time: a tree built by hand may repeat a name (the later wins).
            variables[comprehension.iterVar] = pair.0
            variables[iterVar2] = pair.1
        }
        scopes.append([comprehension.accuVar: accumulatorType])
        scopes.append(variables)
        expect(.bool, for: comprehension.loopCondition, found: check(comprehension.loopCondition))
        expect(accumulatorType, for: comprehension.loopStep, found: check(comprehension.loopStep))
        scopes.removeLast()
        let resultType = check(comprehension.result)
        scopes.removeLast()
        return resultType
    }

    private mutating func expect(_ expected: CELType, for expr: Expr, found: CELType) {
        guard !tryUnifying({ $0.unify(expected, found) }) else { return }
        report("expected type '\(describe(expected))' but found '\(describe(found))'", at: expr)
    }
}
