/// A line-by-line difference of two texts: what the console shows between two policy versions.
public enum LineDiff {
    /// One line of the difference.
    public enum Line: Sendable, Hashable {
        /// In both texts.
        case same(String)
        /// Only in the old text.
        case removed(String)
        /// Only in the new text.
        case added(String)
    }

    /// Every line of `old` and `new` in order, each marked kept, removed or added (a shortest
    /// edit script; removals before additions where lines are replaced).
    public static func lines(from old: String, to new: String) -> [Line] {
        let a = split(old)
        let b = split(new)
        let difference = b.difference(from: a)
        var removed = Set<Int>()
        var added = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): added.insert(offset)
            }
        }
        var result: [Line] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, removed.contains(i) {
                result.append(.removed(a[i]))
                i += 1
            } else if j < b.count, added.contains(j) {
                result.append(.added(b[j]))
                j += 1
            } else if i < a.count, j < b.count {
                result.append(.same(a[i]))
                i += 1
                j += 1
            } else {
                break  // unreachable: the kept lines of both sides pair up
            }
        }
        return result
    }

    private static func split(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
