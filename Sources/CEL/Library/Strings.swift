/// String functions: substring search and regular expressions.
enum Strings {
    static func contains(_ s: String, _ t: String) -> Bool {
        if t.isEmpty { return true }
        let haystack = Array(s.utf8)
        let needle = Array(t.utf8)
        guard needle.count <= haystack.count else { return false }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// Compiles an RE2-style pattern. Unsupported or invalid patterns are an evaluation error.
    static func compile(_ pattern: String) throws(EvalError) -> Regex<AnyRegexOutput> {
        do {
            // RE2 semantics: code points, and ASCII-only \d, \w and \s.
            return try Regex(pattern).matchingSemantics(.unicodeScalar).asciiOnlyCharacterClasses()
        } catch {
            throw EvalError(.invalidArgument, "invalid regular expression '\(pattern)': \(error)")
        }
    }

    /// Whether the pattern matches any substring of `s` (use `^…$` to anchor).
    static func matches(_ s: String, pattern: Regex<AnyRegexOutput>) throws(EvalError) -> Bool {
        do {
            return try pattern.firstMatch(in: s) != nil
        } catch {
            throw EvalError(.invalidArgument, "regular expression failed: \(error)")
        }
    }
}
