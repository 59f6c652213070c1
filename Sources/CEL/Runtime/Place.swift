/// An operand that can be read where it lies, without copying it: a variable with fields
/// selected (`mutation.changes.amount`), or a comprehension variable with fields selected.
///
/// Nodes that only look at an operand (compare it with a constant, test a field, search or
/// iterate it) read it in place, which spares the reference counting of a copy.
enum Place: Sendable {
    case path(PathNode)
    case local(slot: Int, fields: [FieldName])

    /// The place `node` reads, if it is one.
    init?(_ node: any Interpretable) {
        if let path = node as? PathNode {
            self = .path(path)
        } else if let local = node as? LocalNode {
            self = .local(slot: local.slot, fields: [])
        } else if let select = node as? SelectNode, case .local(let slot, let fields)? = Place(select.operand) {
            self = .local(slot: slot, fields: fields + [select.field])
        } else {
            return nil
        }
    }

    /// Calls `body` with the value, read in place. The pointer is valid only during the call.
    @inline(__always)
    func withValue<R>(_ context: borrowing EvalContext, _ body: (UnsafePointer<Value>) throws(EvalError) -> R)
        throws(EvalError) -> R
    {
        switch self {
        case .path(let path):
            return try path.withValue(context, body)
        case .local(let slot, let fields):
            var value = UnsafePointer(context.locals.baseAddress! + slot)
            for field in fields { value = try selectInPlace(value, field) }
            return try body(value)
        }
    }
}
