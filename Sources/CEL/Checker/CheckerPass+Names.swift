/// Names and field selection: comprehension variables, declared (possibly dotted) variables,
/// type denotations, and fields of objects and maps.
extension CheckerPass {
    /// The identifiers that denote types, and the type of each.
    static let typeDenotations: [String: CELType] = [
        "bool": .type(.bool), "int": .type(.int), "uint": .type(.uint), "double": .type(.double),
        "string": .type(.string), "bytes": .type(.bytes), "null_type": .type(.null),
        "list": .type(.list(.dyn)), "map": .type(.map(key: .dyn, value: .dyn)), "type": .type(.type(.dyn)),
        "google.protobuf.Timestamp": .type(.timestamp), "google.protobuf.Duration": .type(.duration),
    ]

    mutating func checkIdent(_ name: String, at expr: Expr) -> CELType {
        if let type = resolve([name]) { return type }
        reportUndeclared([name], at: expr)
        return .error
    }

    mutating func checkSelect(_ expr: Expr, operand: Expr, field: String, testOnly: Bool) -> CELType {
        if !testOnly, let chain = Self.qualifiedName(expr) {
            return checkQualifiedName(chain)
        }
        let operandType = check(operand)
        return select(field, from: operandType, at: expr, testOnly: testOnly)
    }

    /// Resolves `a.b.c` from the longest prefix that names a variable, selecting the rest as
    /// fields; records the type of each node from the resolved one out, and returns the last.
    private mutating func checkQualifiedName(_ chain: [(expr: Expr, name: String)]) -> CELType {
        let names = chain.map(\.name)
        // A comprehension variable shadows every declaration that starts with its name.
        let candidateCounts =
            !Self.isRootScoped(names[0]) && local(names[0]) != nil
            ? [1] : Array(stride(from: names.count, through: 1, by: -1))
        var resolvedCount = 0
        var type = CELType.error
        for count in candidateCounts {
            if let found = resolve(Array(names[..<count])) {
                resolvedCount = count
                type = found
                break
            }
        }
        guard resolvedCount > 0 else {
            reportUndeclared(names, at: chain[0].expr)
            record(.error, for: chain[0].expr)
            return .error
        }
        record(type, for: chain[resolvedCount - 1].expr)
        for link in chain[resolvedCount...] {
            type = select(link.name, from: type, at: link.expr, testOnly: false)
            record(type, for: link.expr)
        }
        return type
    }

    /// The type of a field selection on a value of `operandType`; with `testOnly` (`has()`), bool.
    mutating func select(_ field: String, from operandType: CELType, at expr: Expr, testOnly: Bool) -> CELType {
        let fieldType: CELType
        switch substitution.head(operandType) {
        case .object(let shape):
            if let type = shape.fields[field] {
                fieldType = type
            } else if shape.isOpen {
                fieldType = .dyn
            } else {
                report(Self.noFieldMessage(field, on: shape), at: expr)
                fieldType = .error
            }
        case .map(_, let value):
            fieldType = value
        case .dyn:
            fieldType = .dyn
        case .typeParam:
            _ = tryUnifying { $0.unify(.dyn, operandType) }
            fieldType = .dyn
        case .error:
            fieldType = .error
        default:
            report("type '\(describe(operandType))' has no fields (selecting '\(field)')", at: expr)
            fieldType = .error
        }
        return testOnly ? .bool : fieldType
    }

    /// The type a name denotes when the names are joined with dots: a comprehension variable
    /// (single names only), a declared variable, or a type denotation.
    private func resolve(_ names: [String]) -> CELType? {
        var name = names.joined(separator: ".")
        if Self.isRootScoped(name) {
            name.removeFirst()
        } else if names.count == 1, let type = local(name) {
            return type
        }
        return environment.variables[name] ?? Self.typeDenotations[name]
    }

    private mutating func reportUndeclared(_ names: [String], at expr: Expr) {
        let root = names[0].hasPrefix(".") ? String(names[0].dropFirst()) : names[0]
        let dottedDeclared = environment.variables.keys.contains { $0.hasPrefix(root + ".") }
        // When some declared variable starts with the same segment, the whole path is the unknown
        // name; otherwise the first segment is.
        let shown = dottedDeclared ? names.joined(separator: ".") : names[0]
        var message = "undeclared reference to '\(shown)'"
        if let suggestion = suggestName(for: names) { message += ", did you mean '\(suggestion)'?" }
        report(message, at: expr)
    }

    /// The declared name (or name prefix) closest to a prefix of `names`.
    private func suggestName(for names: [String]) -> String? {
        var candidates = Set(environment.variables.keys)
        for scope in scopes { candidates.formUnion(scope.keys.filter { !$0.hasPrefix("__") }) }
        for name in environment.variables.keys {
            var prefix = ""
            for segment in name.split(separator: ".").dropLast() {
                prefix += prefix.isEmpty ? String(segment) : "." + segment
                candidates.insert(prefix)
            }
        }
        for count in stride(from: names.count, through: 1, by: -1) {
            let name = names[..<count].joined(separator: ".")
            let sameDepth = candidates.filter { $0.split(separator: ".").count == count }
            if let suggestion = NameSuggestion.closest(to: name, among: sameDepth) { return suggestion }
        }
        return nil
    }

    private static func noFieldMessage(_ field: String, on shape: ObjectShape) -> String {
        var message = "no field '\(field)' on \(shape.name)"
        if let suggestion = NameSuggestion.closest(to: field, among: shape.fields.keys) {
            message += ", did you mean '\(suggestion)'?"
        }
        let known = shape.fields.keys.sorted()
        let listed = known.prefix(12).joined(separator: ", ") + (known.count > 12 ? ", …" : "")
        return message + (known.isEmpty ? " (it declares no fields)" : " (fields: \(listed))")
    }

    /// The nodes and names of `a.b.c` when `expr` is such a chain of plain selections.
    private static func qualifiedName(_ expr: Expr) -> [(expr: Expr, name: String)]? {
        switch expr.kind {
        case .ident(let name):
            return [(expr, name)]
        case .select(let operand, let field, false):
            guard let prefix = qualifiedName(operand) else { return nil }
            return prefix + [(expr, field)]
        default:
            return nil
        }
    }

    /// A name with a leading dot resolves in the root scope only, past comprehension variables.
    private static func isRootScoped(_ name: String) -> Bool { name.hasPrefix(".") }
}
