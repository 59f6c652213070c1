/// Elements by name, searched linearly while there are few (comparing lengths, then the short
/// strings, beats hashing them: a decision looks up its resource in the pack and in the signal
/// history, and fields in the history), through a dictionary beyond. Insertion order is kept.
///
/// Encodes exactly as `[String: Element]` does, so a history saved as a dictionary reads back.
struct NameTable<Element: Sendable>: Sendable {
    private var names: [String] = []
    private var elements: [Element] = []
    private var index: [String: Int]?

    /// Beyond this many names, lookups go through a dictionary.
    private static var linearLimit: Int { 12 }

    init() {}

    var count: Int { names.count }

    /// The position of `name`, if present.
    @inline(__always)
    func position(of name: String) -> Int? {
        if let index { return index[name] }
        let length = name.utf8.count
        for i in names.indices where names[i].utf8.count == length && names[i] == name { return i }
        return nil
    }

    /// Calls `body` with the element of `name` read in place (`nil` when absent): no copy of it.
    func withElement<R>(_ name: String, _ body: (UnsafePointer<Element>?) -> R) -> R {
        guard let i = position(of: name) else { return body(nil) }
        return elements.withUnsafeBufferPointer { body($0.baseAddress! + i) }
    }

    /// The element of `name`; setting adds it (removing is not needed by a history).
    subscript(name: String) -> Element? {
        get { position(of: name).map { elements[$0] } }
        set {
            guard let newValue else { preconditionFailure("NameTable entries are not removed") }
            if let i = position(of: name) {
                elements[i] = newValue
            } else {
                append(name, newValue)
            }
        }
    }

    /// The element of `name`, added as `initial()` first when absent, changed in place.
    mutating func update<R>(_ name: String, default initial: () -> Element, _ body: (inout Element) -> R) -> R {
        let i: Int
        if let found = position(of: name) {
            i = found
        } else {
            i = names.count
            append(name, initial())
        }
        return body(&elements[i])
    }

    private mutating func append(_ name: String, _ element: Element) {
        names.append(name)
        elements.append(element)
        if index != nil {
            index![name] = names.count - 1
        } else if names.count > Self.linearLimit {
            index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        }
    }

    /// Calls `body` with each name and element, in insertion order.
    func forEach(_ body: (String, Element) throws -> Void) rethrows {
        for i in names.indices { try body(names[i], elements[i]) }
    }
}

extension NameTable: Codable where Element: Codable {
    init(from decoder: any Decoder) throws {
        let dictionary = try [String: Element](from: decoder)
        self.init()
        // Sorted, so the same saved history always gives the same order.
        for name in dictionary.keys.sorted() { append(name, dictionary[name]!) }
    }

    func encode(to encoder: any Encoder) throws {
        var dictionary: [String: Element] = [:]
        dictionary.reserveCapacity(names.count)
        for i in names.indices { dictionary[names[i]] = elements[i] }
        try dictionary.encode(to: encoder)
    }
}
