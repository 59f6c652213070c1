import AirlockCore
import CEL
import Testing

/// Field patterns are checked by a fast matcher when they are simple, by CEL's `matches`
/// otherwise; both must agree.
@Suite struct PatternTests {
    static let patterns = [
        "^acc-[0-9]{6}$", "^[^@ ]+@[^@ ]+\\.[^@ ]+$", "^\\+?[0-9 ()-]{6,20}$", "^[0-9]{3}-[0-9]{2}-[0-9]{4}$",
        "[a-c]+x", "^a.c$", "^\\d+$", "^\\w*\\s?\\W$", "ab?c*d{2,}$", "^[-a-z_.]{1,3}$", "^(ab|cd)$", "^[[:alpha:]]+$",
        "^\\p{L}+$", "colou?r", "^[^0-9]*$", "x{0}y", "^$", "^\\$\\.\\^\\[\\]$", "^[ -~]+$", "[^a-z]{2}",
        "^[A-Z_~]*\\}",
    ]
    static let inputs = [
        "", "acc-123456", "acc-12345", "acc-1234567", "zoë@example.com", "a b@c.d", "+41 44 123 45 67", "(044) 12",
        "123-45-6789", "12-345-6789", "aabx", "xx bcx", "abc", "a\nc", "a✅c", "١٢٣", "123", "ab_9 !", "abddd",
        "abccd", "a-z", "ab", "cd", "Zürich", "color", "colour", "colr", "y", "$.^[]", "acc-١٢٣٤٥٦",
        "AZ_~}", "az~\u{7f}", "~}", "Tab\there", "{|}~",
    ]

    @Test(arguments: patterns)
    func fastMatcherAgreesWithCEL(pattern: String) throws {
        let program = try Environment(variables: ["v": .string]).compile("v.matches(p)".replacingOccurrences("p", with: literal(pattern)))
        let pack = try PolicyPack.load(
            name: "p.yaml",
            text: """
                policy: p
                resources:
                  r:
                    operations: [create]
                    fields: { s: { type: string, pattern: \(literal(pattern)) } }
                """)
        for input in Self.inputs {
            var activation = Activation()
            activation["v"] = .string(input)
            let expected: Bool
            if case .bool(let b) = try program.evaluate(activation) { expected = b } else { expected = false }
            let valid: Bool
            do {
                _ = try Validator.validate(Mutation(resource: "r", operation: .create, changes: ["s": .string(input)]), in: pack)
                valid = true
            } catch {
                valid = false
            }
            #expect(valid == expected, "pattern \(pattern) on \(input.debugDescription)")
        }
    }

    /// A double-quoted literal, valid in both CEL and YAML.
    private func literal(_ text: String) -> String {
        "\"" + text.replacingOccurrences("\\", with: "\\\\").replacingOccurrences("\"", with: "\\\"") + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
