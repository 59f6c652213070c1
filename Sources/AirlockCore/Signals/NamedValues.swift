/// A few values by field name, kept sorted by name in a small array: what a signal holds per
/// field (`zscores`, `first_seen`). Cheaper than a dictionary for the one or two fields a mutation
/// usually has.
public struct NamedValues<Element: Sendable & Hashable>: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral,
    CustomStringConvertible
{
    private struct Entry: Sendable, Hashable {
        var name: String
        var element: Element
    }

    private var entries: [Entry] = []

    public init() {}

    public init(dictionaryLiteral entries: (String, Element)...) {
        for (name, element) in entries { self[name] = element }
    }

    /// The value of a field; setting `nil` removes it.
    public subscript(name: String) -> Element? {
        get {
            for entry in entries where entry.name == name { return entry.element }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.name == name }) {
                if let newValue {
                    entries[i].element = newValue
                } else {
                    entries.remove(at: i)
                }
            } else if let newValue {
                let i = entries.firstIndex { $0.name > name } ?? entries.count
                entries.insert(Entry(name: name, element: newValue), at: i)
            }
        }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The entries in name order.
    public func makeIterator() -> AnyIterator<(String, Element)> {
        var iterator = entries.makeIterator()
        return AnyIterator { iterator.next().map { ($0.name, $0.element) } }
    }

    /// Calls `body` with each entry in name order.
    public func forEach(_ body: (String, Element) throws -> Void) rethrows {
        for entry in entries { try body(entry.name, entry.element) }
    }

    public var description: String {
        "[" + entries.map { "\($0.name): \($0.element)" }.joined(separator: ", ") + "]"
    }
}
