import CEL

/// Builds the body of `POST /v1/mutations` from `--set`-style assignments: `field=JSON`, where a
/// dotted field (`address.city=…`) builds nested objects and a value that is not JSON is taken
/// as a string (`currency=USD`).
enum MutationDocument {
    /// Why an assignment cannot be used.
    struct Problem: Error, CustomStringConvertible {
        var option: String
        var assignment: String
        var reason: String
        var description: String { "\(option) \(assignment): \(reason)" }
    }

    /// An object built from `field=JSON` assignments, in the order given; a later assignment to
    /// the same field replaces an earlier one.
    static func object(from assignments: [String], option: String) throws(Problem) -> Value {
        var root = CELMap()
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                throw Problem(option: option, assignment: assignment, reason: "expected FIELD=VALUE")
            }
            let path = assignment[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.contains(where: \.isEmpty) else {
                throw Problem(option: option, assignment: assignment, reason: "a field name is empty")
            }
            let text = String(assignment[assignment.index(after: equals)...])
            let value = (try? Value(json: text)) ?? .string(text)
            do throws(Problem) {
                try insert(value, at: path[...], into: &root)
            } catch {
                throw Problem(option: option, assignment: assignment, reason: error.reason)
            }
        }
        return .map(root)
    }

    private static func insert(_ value: Value, at path: ArraySlice<String>, into map: inout CELMap) throws(Problem) {
        let name = path.first!
        guard path.count > 1 else {
            map[name] = value
            return
        }
        var child: CELMap
        switch map[name] {
        case nil: child = CELMap()
        case .map(let existing)?: child = existing
        case _?: throw Problem(option: "", assignment: "", reason: "'\(name)' was already set to a value that is not an object")
        }
        try insert(value, at: path.dropFirst(), into: &child)
        map[name] = .map(child)
    }
}
