import AirlockCore
import Testing

/// The policy version of a pack is a hash of its canonical form: layout must not change it, and
/// anything that changes what a condition means must.
@Suite struct PackVersionTests {
    /// The version of the base pack with one rule of condition `when` (a YAML block scalar).
    private func version(when: String) throws -> String {
        let indented = when.split(separator: "\n", omittingEmptySubsequences: false).map { "          " + $0 }
        return try Fixtures.pack(rules: "  - id: r\n    tier: high\n    when: |\n" + indented.joined(separator: "\n") + "\n")
            .version
    }

    @Test func commentsAndLineBreaksAreLayout() throws {
        let plain = try version(when: "mutation.changes.amount > 1.0 && mutation.changes.note == 'a'")
        let commented = try version(
            when: "mutation.changes.amount > 1.0 // big enough\n  && mutation.changes.note == 'a' // and noted")
        #expect(commented == plain)
    }

    @Test func aCommentThatSwallowsTheRestOfItsLineChangesTheVersion() throws {
        let plain = try version(when: "mutation.changes.amount > 1.0 && mutation.changes.note == 'a'")
        let swallowed = try version(when: "mutation.changes.amount > 1.0 // big enough && mutation.changes.note == 'a'")
        #expect(swallowed != plain)
        #expect(swallowed == (try version(when: "mutation.changes.amount > 1.0")))
    }

    @Test(arguments: [
        ("mutation.changes.note == '''it's  two'''", "mutation.changes.note == '''it's two'''"),
        (#"mutation.changes.note == r"\" + 'x  y'"#, #"mutation.changes.note == r"\" + 'x y'"#),
        ("mutation.changes.note == 'a // b  c'", "mutation.changes.note == 'a // b c'"),
        (#"mutation.changes.note == "say \"a  b\"""#, #"mutation.changes.note == "say \"a b\"""#),
    ])
    func whitespaceInsideStringLiteralsIsContent(a: String, b: String) throws {
        #expect(try version(when: a) != (try version(when: b)))
    }
}
