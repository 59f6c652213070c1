import CEL

/// Which fields of each variable the rules of a resource can read, found in their parsed
/// conditions and reasons at load time. A decision builds only those, which saves most of the
/// cost of the activation; a variable used whole (passed to a function, iterated, indexed with a
/// computed key) is built whole.
struct ActivationNeeds: Sendable, Hashable {
    /// The fields of each object variable, in the order they are built.
    static let fields: [String: [String]] = [
        "mutation": ["resource", "operation", "target", "targets", "changes", "before", "context", "idempotency_key"],
        "actor": ["id", "kind", "roles", "attributes"],
        "data": ["classes", "max_class", "max_rank", "records", "reversible"],
        "signals": Signals.fieldNames,
        "system": ["freeze", "queue_depth", "rollback_rate_1h"],
    ]

    /// A bit per field of ``fields``, by variable; 0 when the variable is not read at all.
    var mutation: UInt32 = 0
    var actor: UInt32 = 0
    var data: UInt32 = 0
    var signals: UInt32 = 0
    var system: UInt32 = 0
    /// Whether `lists`, `classes` and `now` are read.
    var lists = false
    var classes = false
    var now = false

    private mutating func update(_ root: String, _ change: (inout UInt32) -> Void) {
        switch root {
        case "mutation": change(&mutation)
        case "actor": change(&actor)
        case "data": change(&data)
        case "signals": change(&signals)
        case "system": change(&system)
        default: break
        }
    }

    /// A map holding the needed fields of `root`, each null, in ``fields`` order: its keys are
    /// taken per decision, which costs less than growing a new map key by key.
    func template(_ root: String) -> CELMap {
        var map = CELMap()
        let names = Self.fields[root] ?? []
        for i in fieldIndices(root) { map[names[i]] = .null }
        return map
    }

    /// The positions in ``fields`` of the needed fields of `root`, in order: what each entry of
    /// its ``template(_:)`` holds.
    func fieldIndices(_ root: String) -> [Int] {
        let mask: UInt32
        switch root {
        case "mutation": mask = mutation
        case "actor": mask = actor
        case "data": mask = data
        case "signals": mask = signals
        case "system": mask = system
        default: mask = 0
        }
        return (Self.fields[root] ?? []).indices.filter { mask & (1 << UInt32($0)) != 0 }
    }

    /// Adds what `expr` reads.
    mutating func add(_ expr: Expr) {
        collect(expr, bound: [])
    }

    private mutating func use(_ root: String, field: String?) {
        switch root {
        case "lists": lists = true
        case "classes": classes = true
        case "now": now = true
        default: break
        }
        guard let names = Self.fields[root] else { return }
        if let field, let i = names.firstIndex(of: field) {
            update(root) { $0 |= 1 << UInt32(i) }
        } else {
            update(root) { $0 = (1 << UInt32(names.count)) - 1 }
        }
    }

    private mutating func collect(_ expr: Expr, bound: Set<String>) {
        switch expr.kind {
        case .literal:
            return
        case .ident(let name):
            if !bound.contains(name) { use(name, field: nil) }
        case .select(let operand, let field, _):
            if case .ident(let name) = operand.kind, !bound.contains(name) {
                use(name, field: field)
            } else {
                collect(operand, bound: bound)
            }
        case .call(let function, let target, let args):
            if function == Operator.index, args.count == 2, case .ident(let name) = args[0].kind, !bound.contains(name),
                case .literal(.string(let key)) = args[1].kind
            {
                use(name, field: key)
                return
            }
            if let target { collect(target, bound: bound) }
            for arg in args { collect(arg, bound: bound) }
        case .list(let items):
            for item in items { collect(item, bound: bound) }
        case .map(let entries):
            for entry in entries {
                collect(entry.key, bound: bound)
                collect(entry.value, bound: bound)
            }
        case .comprehension(let c):
            collect(c.iterRange, bound: bound)
            collect(c.accuInit, bound: bound)
            let inner = bound.union([c.iterVar, c.accuVar] + (c.iterVar2.map { [$0] } ?? []))
            collect(c.loopCondition, bound: inner)
            collect(c.loopStep, bound: inner)
            collect(c.result, bound: inner)
        }
    }
}
