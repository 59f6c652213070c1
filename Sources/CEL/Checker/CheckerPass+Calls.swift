/// Calls: overload resolution against the standard declarations.
extension CheckerPass {
    /// Names people reach for that CEL spells differently.
    private static let functionAliases: [String: String] = [
        "len": "size", "length": "size", "count": "size", "startswith": "startsWith",
        "endswith": "endsWith", "includes": "contains", "match": "matches",
    ]

    mutating func checkCall(_ expr: Expr, function: String, target: Expr?, args: [Expr]) -> CELType {
        var argumentTypes = target.map { [check($0)] } ?? []
        argumentTypes += args.map { check($0) }
        guard let overloads = StandardDeclarations.overloads(of: function) else {
            report(Self.undeclaredFunctionMessage(function), at: expr)
            return .error
        }
        if function == Operator.index, target == nil, args.count == 2,
            case .object = substitution.head(argumentTypes[0]),
            case .literal(.string(let field)) = args[1].kind
        {
            return select(field, from: argumentTypes[0], at: expr, testOnly: false)
        }
        let receiverStyle = target != nil
        var result: CELType?
        for overload in overloads where overload.isReceiverStyle == receiverStyle {
            guard overload.parameters.count == argumentTypes.count else { continue }
            let instance = instantiate(overload)
            let matches = tryUnifying { substitution in
                zip(argumentTypes, instance.parameters).allSatisfy { substitution.unify($0, $1) }
            }
            guard matches else { continue }
            let overloadResult = substitution.resolve(instance.result)
            if let previous = result, previous != .dyn, previous != overloadResult {
                result = .dyn
            } else if result == nil {
                result = overloadResult
            }
        }
        if let result { return result }
        // An argument already in error was reported where it arose.
        guard !argumentTypes.contains(where: { substitution.resolve($0).containsError }) else { return .error }
        var message = noMatchingOverloadMessage(function, argumentTypes, receiverStyle: receiverStyle)
        if !overloads.contains(where: { $0.isReceiverStyle == receiverStyle }) {
            message += receiverStyle ? " (call it as \(function)(…))" : " (call it as a method: x.\(function)(…))"
        }
        report(message, at: expr)
        return .error
    }

    /// `overload` with its type parameters replaced by fresh ones.
    private mutating func instantiate(_ overload: OverloadSignature) -> OverloadSignature {
        var fresh: [String: CELType] = [:]
        func rename(_ type: CELType) -> CELType {
            switch type {
            case .typeParam(let name):
                if let renamed = fresh[name] { return renamed }
                let renamed = freshTypeVariable()
                fresh[name] = renamed
                return renamed
            case .list(let element):
                return .list(rename(element))
            case .map(let key, let value):
                return .map(key: rename(key), value: rename(value))
            case .type(let inner):
                return .type(rename(inner))
            default:
                return type
            }
        }
        var instance = overload
        instance.parameters = overload.parameters.map(rename)
        instance.result = rename(overload.result)
        return instance
    }

    private func noMatchingOverloadMessage(_ function: String, _ types: [CELType], receiverStyle: Bool) -> String {
        let described = types.map(describe)
        // The step of a transformMapEntry() expansion, whose transform is not a map.
        if function == Operator.mapInsert, types.count == 2, !Self.isMap(substitution.head(types[1])) {
            return "the transform of transformMapEntry() must be a map, not '\(described[1])'"
        }
        let applied =
            receiverStyle
            ? "\(described[0]).(\(described.dropFirst().joined(separator: ", ")))"
            : "(\(described.joined(separator: ", ")))"
        let message = "found no matching overload for '\(function)' applied to '\(applied)'"
        let numbers: Set<CELType> = [.int, .uint, .double]
        let resolved = Set(types.map { substitution.resolve($0) })
        if function == Operator.equals || function == Operator.notEquals, resolved.count == 2,
            resolved.isSubset(of: numbers)
        {
            return message + " (to compare numbers of different types, convert one side with int(), uint() or double())"
        }
        return message
    }

    private static func isMap(_ type: CELType) -> Bool {
        if case .map = type { true } else { false }
    }

    private static func undeclaredFunctionMessage(_ function: String) -> String {
        var message = "undeclared function '\(function)'"
        if StandardDeclarations.macroNames.contains(function) {
            return message + " ('\(function)' is a macro: check the number and form of its arguments)"
        }
        let candidates = StandardDeclarations.callableNames + functionAliases.keys
        if let closest = NameSuggestion.closest(to: function, among: candidates) {
            message += ", did you mean '\(functionAliases[closest] ?? closest)'?"
        }
        return message
    }
}
