/// The variables an evaluation sees, by name.
///
/// Kept as a small array: activations hold a handful of variables, and a linear search over
/// short names is faster than hashing them.
public struct Activation: Sendable {
    @usableFromInline var names: [String]
    @usableFromInline var values: [Value]

    public init() {
        names = []
        values = []
    }

    public init(_ variables: [String: Value]) {
        names = Array(variables.keys)
        values = names.map { variables[$0]! }
    }

    /// The value bound to a name.
    public subscript(name: String) -> Value? {
        get {
            for i in names.indices where names[i] == name { return values[i] }
            return nil
        }
        set {
            if let i = names.firstIndex(of: name) {
                if let newValue {
                    values[i] = newValue
                } else {
                    names.remove(at: i)
                    values.remove(at: i)
                }
            } else if let newValue {
                names.append(name)
                values.append(newValue)
            }
        }
    }
}
