import AirlockCore
import CEL
import Testing

/// The shipped example pack (`examples/policies`) checks, is big enough, and its tests pass and
/// cover every rule.
@Suite struct ExamplePackTests {
    @Test func checksAndKeepsItsResourceNames() throws {
        let pack = try Fixtures.examplePack()
        #expect(Set(pack.resourceOrder) == ["payments.transfer", "crm.customer", "catalog.product"])
        #expect(pack.rules.count >= 20)
        #expect(pack.resources["payments.transfer"]?.operations == [.create])
        #expect(pack.resources["payments.transfer"]?.reversible == false)
        #expect(Set(pack.resources["payments.transfer"]!.fieldOrder) == ["amount", "currency", "from_account", "to_account", "memo"])
        #expect(Set(pack.resources["crm.customer"]!.fieldOrder) == ["email", "phone", "address", "ssn", "tier", "notes"])
        #expect(Set(pack.resources["catalog.product"]!.fieldOrder) == ["price", "cost", "stock", "title"])
        #expect(pack.resources["crm.customer"]?.fields["ssn"]?.dataClass == "restricted")
    }

    @Test func inlineTestsPassAndCoverEveryRule() throws {
        let pack = try Fixtures.examplePack()
        let engine = PolicyEngine(pack: pack)
        let results = engine.run(pack.tests)
        for result in results where !result.passed {
            Issue.record("\(result.test.location) \(result.test.name): \(result.failures.joined(separator: "; "))")
        }
        #expect(engine.uncoveredRules(by: results) == [])
    }

    @Test func theVersionIsStable() throws {
        #expect(try Fixtures.examplePack().version == (try Fixtures.examplePack().version))
    }
}
