import CEL

/// A path a condition reads from its variables (`mutation.changes.amount`), found in the parsed
/// expression at load time and resolved against the activation of a decision to show the values
/// a rule saw.
struct ReadPath: Sendable, Hashable {
    /// The variable and the fields under it.
    let components: [String]
    /// `mutation.changes.amount`.
    let text: String
    /// The same path, resolved in place.
    private let path: ValuePath

    init(components: [String]) {
        self.components = components
        text = components.joined(separator: ".")
        path = ValuePath(components)
    }

    static func == (a: ReadPath, b: ReadPath) -> Bool { a.components == b.components }
    func hash(into hasher: inout Hasher) { hasher.combine(components) }

    /// Roots whose values are shown. `lists` and `classes` are constants of the pack, not worth
    /// repeating in every reason.
    static let shownRoots: Set<String> = ["mutation", "actor", "data", "signals", "system", "now"]

    /// The paths read by `expr`, in order of appearance, without duplicates.
    static func paths(in expr: Expr) -> [ReadPath] {
        var found: [ReadPath] = []
        var seen: Set<ReadPath> = []
        collect(expr, bound: [], into: &found, seen: &seen)
        return found
    }

    private static func collect(_ expr: Expr, bound: Set<String>, into found: inout [ReadPath], seen: inout Set<ReadPath>) {
        func add(_ path: [String]) {
            let read = ReadPath(components: path)
            if seen.insert(read).inserted { found.append(read) }
        }
        switch expr.kind {
        case .literal:
            return
        case .ident(let name):
            if name == "now", !bound.contains(name) { add([name]) }
        case .select(let operand, let field, _):
            if let path = chain(operand, bound: bound), shownRoots.contains(path[0]) {
                if path.count > 1 || path[0] != "now" { add(path + [field]) }
            } else {
                collect(operand, bound: bound, into: &found, seen: &seen)
            }
        case .call(let function, let target, let args):
            if function == Operator.index, args.count == 2, case .literal(.string(let key)) = args[1].kind,
                let path = chain(args[0], bound: bound), shownRoots.contains(path[0])
            {
                add(path + [key])
                return
            }
            if let target { collect(target, bound: bound, into: &found, seen: &seen) }
            for arg in args { collect(arg, bound: bound, into: &found, seen: &seen) }
        case .list(let items):
            for item in items { collect(item, bound: bound, into: &found, seen: &seen) }
        case .map(let entries):
            for entry in entries {
                collect(entry.key, bound: bound, into: &found, seen: &seen)
                collect(entry.value, bound: bound, into: &found, seen: &seen)
            }
        case .comprehension(let c):
            collect(c.iterRange, bound: bound, into: &found, seen: &seen)
            collect(c.accuInit, bound: bound, into: &found, seen: &seen)
            let inner = bound.union([c.iterVar, c.accuVar] + (c.iterVar2.map { [$0] } ?? []))
            collect(c.loopCondition, bound: inner, into: &found, seen: &seen)
            collect(c.loopStep, bound: inner, into: &found, seen: &seen)
            collect(c.result, bound: inner, into: &found, seen: &seen)
        }
    }

    /// `a.b.c` as components when the expression is a chain of selects on a free variable.
    private static func chain(_ expr: Expr, bound: Set<String>) -> [String]? {
        switch expr.kind {
        case .ident(let name):
            return bound.contains(name) ? nil : [name]
        case .select(let operand, let field, let testOnly):
            guard !testOnly, let path = chain(operand, bound: bound) else { return nil }
            return path + [field]
        default:
            return nil
        }
    }

    /// The value at this path in `activation`; `nil` when a part is absent.
    func resolve(in activation: Activation) -> Value? {
        path.resolve(in: activation)
    }
}
