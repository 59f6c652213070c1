import AirlockCore
import AirlockEngine
import Testing

@Suite struct MaskingTests {
    static let hidden: Set<String> = ["amount", "email"]

    @Test("a reason template may quote a hidden field by name, by index or through the whole map")
    func mayQuote() {
        #expect(MutationView.mayQuote("moves ${mutation.changes.amount} EUR", Self.hidden))
        #expect(MutationView.mayQuote("was ${mutation.before.email}", Self.hidden), "before values too")
        #expect(MutationView.mayQuote("${mutation.changes}", Self.hidden), "the whole map")
        #expect(MutationView.mayQuote("${mutation[\"changes\"]}", Self.hidden), "an index")
        #expect(MutationView.mayQuote(nil, Self.hidden), "a rule no longer in the pack")
        #expect(!MutationView.mayQuote("titled ${mutation.changes.title}", Self.hidden))
        #expect(!MutationView.mayQuote("Transfers are reviewed", Self.hidden), "no interpolation")
        #expect(!MutationView.mayQuote("moves ${mutation.changes.amount}", []), "nothing hidden")
        #expect(!MutationView.mayQuote("${mutation.changes.amounts}", Self.hidden), "another field with the same prefix")
    }

    @Test("a read path or a problem's path reaches a hidden field or a map that holds one")
    func paths() {
        #expect(MutationView.pathNamesHidden("mutation.changes.amount", Self.hidden))
        #expect(MutationView.pathNamesHidden("mutation.before.email", Self.hidden))
        #expect(MutationView.pathNamesHidden("mutation.changes", Self.hidden))
        #expect(MutationView.pathNamesHidden("changes.amount", Self.hidden), "a validation problem's path")
        #expect(!MutationView.pathNamesHidden("mutation.changes.title", Self.hidden))
        #expect(!MutationView.pathNamesHidden("signals.first_time", Self.hidden))
        #expect(!MutationView.pathNamesHidden("mutation.changes", []))
    }

    @Test("a key's fingerprint changes with the key and is absent without one")
    func fingerprints() throws {
        var one = PrincipalDirectory()
        var two = PrincipalDirectory()
        let principal = Principal(id: "bob", kind: .human, roles: [.reviewer])
        try one.add(principal, keySHA256: PrincipalDirectory.hash(key: "old"))
        try two.add(principal, keySHA256: PrincipalDirectory.hash(key: "new"))
        let a = try #require(one.keyFingerprint(id: "bob"))
        #expect(a == one.keyFingerprint(id: "bob"))
        #expect(a != two.keyFingerprint(id: "bob"))
        #expect(!a.contains(PrincipalDirectory.hash(key: "old").prefix(8)), "not the key's hash itself")
        var keyless = PrincipalDirectory()
        keyless.addWithoutKey(principal)
        #expect(keyless.keyFingerprint(id: "bob") == nil && one.keyFingerprint(id: "nobody") == nil)
    }
}
