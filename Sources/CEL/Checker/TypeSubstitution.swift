/// The bindings of type parameters found while checking one expression, and the unification
/// that extends them.
///
/// `dyn` and `error` unify with everything (they are wildcards); `null` unifies with objects
/// (which stand for messages and JSON objects, either of which may be absent); an object unifies
/// with `map(string, dyn)`, which is what it is at runtime; two `type(…)` types always unify, as
/// type values are compared at runtime.
struct TypeSubstitution {
    private var bindings: [String: CELType] = [:]

    /// Whether a value of type `first` and one of type `second` can be taken as one type,
    /// binding free type parameters so that they are. Bindings are kept even when it fails; try
    /// on a copy to discard them.
    mutating func unify(_ first: CELType, _ second: CELType) -> Bool {
        if first == second { return true }
        if case .typeParam(let name) = first { return unify(parameter: name, with: second) }
        if case .typeParam(let name) = second { return unify(parameter: name, with: first) }
        switch (first, second) {
        case (.dyn, _), (_, .dyn), (.error, _), (_, .error):
            return true
        case (.null, let other), (let other, .null):
            return other.isNullable
        case (.list(let element1), .list(let element2)):
            return unify(element1, element2)
        case (.map(let key1, let value1), .map(let key2, let value2)):
            return unify(key1, key2) && unify(value1, value2)
        case (.map(let key, let value), .object), (.object, .map(let key, let value)):
            return unify(key, .string) && unify(value, .dyn)
        case (.object(let shape1), .object(let shape2)):
            return shape1.name == shape2.name
        case (.type, .type):
            return true
        default:
            return false
        }
    }

    private mutating func unify(parameter name: String, with other: CELType) -> Bool {
        if let bound = bindings[name] {
            guard unify(bound, other) else { return false }
            let widened = Self.mostGeneral(bound, other)
            if !occurs(name, in: widened) { bindings[name] = widened }
            return true
        }
        if case .typeParam(let otherName) = head(other), otherName == name { return true }
        guard !occurs(name, in: other) else { return false }
        bindings[name] = other
        return true
    }

    /// `type` with every bound parameter replaced by its binding; free parameters stay, or become
    /// `dyn` with `freeAsDyn`.
    func resolve(_ type: CELType, freeAsDyn: Bool = false) -> CELType {
        switch type {
        case .typeParam(let name):
            if let bound = bindings[name] { return resolve(bound, freeAsDyn: freeAsDyn) }
            return freeAsDyn ? .dyn : type
        case .list(let element):
            return .list(resolve(element, freeAsDyn: freeAsDyn))
        case .map(let key, let value):
            return .map(key: resolve(key, freeAsDyn: freeAsDyn), value: resolve(value, freeAsDyn: freeAsDyn))
        case .type(let inner):
            return .type(resolve(inner, freeAsDyn: freeAsDyn))
        default:
            return type
        }
    }

    /// `type` itself, or what its outermost parameter is bound to.
    func head(_ type: CELType) -> CELType {
        var type = type
        while case .typeParam(let name) = type, let bound = bindings[name] { type = bound }
        return type
    }

    private func occurs(_ name: String, in type: CELType) -> Bool {
        switch type {
        case .typeParam(let other):
            if other == name { return true }
            return bindings[other].map { occurs(name, in: $0) } ?? false
        case .list(let element):
            return occurs(name, in: element)
        case .map(let key, let value):
            return occurs(name, in: key) || occurs(name, in: value)
        case .type(let inner):
            return occurs(name, in: inner)
        default:
            return false
        }
    }

    /// Of two unifiable types, the one that admits more values (`dyn` over `int`, `list(dyn)`
    /// over `list(int)`, an object over `null`); an error absorbs everything.
    static func mostGeneral(_ first: CELType, _ second: CELType) -> CELType {
        if second == .null, first.isNullable { return first }
        if first == .null, second.isNullable { return second }
        if isEqualOrLessSpecific(first, second) { return first }
        if isEqualOrLessSpecific(second, first) { return second }
        if case .type = first, case .type = second { return .type(.dyn) }
        return second
    }

    private static func isEqualOrLessSpecific(_ first: CELType, _ second: CELType) -> Bool {
        switch (first, second) {
        case (.dyn, _), (.typeParam, _), (.error, _):
            return true
        case (_, .dyn), (_, .typeParam), (_, .error):
            return false
        case (.list(let element1), .list(let element2)):
            return isEqualOrLessSpecific(element1, element2)
        case (.map(let key1, let value1), .map(let key2, let value2)):
            return isEqualOrLessSpecific(key1, key2) && isEqualOrLessSpecific(value1, value2)
        case (.map, .object):
            return true
        case (.type(let inner1), .type(let inner2)):
            return isEqualOrLessSpecific(inner1, inner2)
        default:
            return first == second
        }
    }
}
