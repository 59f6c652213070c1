/// A few values by field name, kept sorted by name, the first two inline: what a signal holds
/// per field (`zscores`, `first_seen`). Cheaper than a dictionary (or an array) for the one or two
/// fields a mutation usually has.
public struct NamedValues<Element: Sendable & Hashable>: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral,
    CustomStringConvertible
{
    private struct Entry: Sendable, Hashable {
        var name: String
        var element: Element
    }

    // The first two entries (in name order) are held inline and the rest in an array, which stays
    // empty (unallocated) for the one or two fields a mutation usually has: deriving signals
    // allocates nothing for them. The layout is canonical (sorted, inline slots filled first),
    // so the synthesized equality and hash compare contents.
    private var first: Entry?
    private var second: Entry?
    private var rest: [Entry] = []

    public init() {}

    public init(dictionaryLiteral entries: (String, Element)...) {
        for (name, element) in entries { self[name] = element }
    }

    /// Every entry, in name order.
    private var entries: [Entry] {
        var all: [Entry] = []
        all.reserveCapacity(count)
        if let first { all.append(first) }
        if let second { all.append(second) }
        all.append(contentsOf: rest)
        return all
    }

    private mutating func assign(_ entries: [Entry]) {
        first = entries.count > 0 ? entries[0] : nil
        second = entries.count > 1 ? entries[1] : nil
        rest = entries.count > 2 ? Array(entries[2...]) : []
    }

    /// The value of a field; setting `nil` removes it.
    public subscript(name: String) -> Element? {
        get {
            if let first, first.name == name { return first.element }
            if let second, second.name == name { return second.element }
            for entry in rest where entry.name == name { return entry.element }
            return nil
        }
        set {
            // The common cases in place: changing an inline entry, adding a first or second one.
            if let newValue {
                if first?.name == name {
                    first!.element = newValue
                    return
                }
                if second?.name == name {
                    second!.element = newValue
                    return
                }
                guard let current = first else {
                    first = Entry(name: name, element: newValue)
                    return
                }
                if second == nil {
                    let entry = Entry(name: name, element: newValue)
                    if name < current.name {
                        second = current
                        first = entry
                    } else {
                        second = entry
                    }
                    return
                }
            }
            var all = entries
            if let i = all.firstIndex(where: { $0.name == name }) {
                if let newValue {
                    all[i].element = newValue
                } else {
                    all.remove(at: i)
                }
            } else if let newValue {
                let i = all.firstIndex { $0.name > name } ?? all.count
                all.insert(Entry(name: name, element: newValue), at: i)
            } else {
                return
            }
            assign(all)
        }
    }

    public var count: Int { (first == nil ? 0 : 1) + (second == nil ? 0 : 1) + rest.count }
    public var isEmpty: Bool { first == nil }

    /// The entries in name order.
    public func makeIterator() -> AnyIterator<(String, Element)> {
        var iterator = entries.makeIterator()
        return AnyIterator { iterator.next().map { ($0.name, $0.element) } }
    }

    /// Calls `body` with each entry in name order.
    public func forEach(_ body: (String, Element) throws -> Void) rethrows {
        if let first { try body(first.name, first.element) }
        if let second { try body(second.name, second.element) }
        for entry in rest { try body(entry.name, entry.element) }
    }

    public var description: String {
        "[" + entries.map { "\($0.name): \($0.element)" }.joined(separator: ", ") + "]"
    }
}
