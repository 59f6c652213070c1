import AirlockCore
import CEL
import Testing

@Suite struct ClassifierTests {
    let pack: PolicyPack
    init() throws { pack = try Fixtures.pack() }

    @Test func classesOfTouchedFieldsLowestFirst() {
        let c = Classifier.classify(Fixtures.transfer(5), in: pack)
        #expect(c.classes == ["internal", "financial"])
        #expect(c.maxClass == "financial")
        #expect(c.maxRank == 2)
        #expect(c.records == 1)
        #expect(c.reversible == false)
    }

    @Test func unclassifiedFieldsTouchNoClass() {
        let m = Mutation(resource: "person", operation: .update, target: "p", changes: ["level": .int(3)])
        let c = Classifier.classify(m, in: pack)
        #expect(c.classes.isEmpty)
        #expect(c.maxClass == nil)
        #expect(c.maxRank == -1)
        #expect(c.reversible)
    }

    @Test func aDeleteTouchesEveryField() {
        let c = Classifier.classify(Mutation(resource: "person", operation: .delete, target: "p"), in: pack)
        #expect(c.classes == ["pii", "restricted"])
        #expect(c.maxClass == "restricted")
    }

    @Test func bulkMutationsCountTheirRecords() {
        let m = Mutation(resource: "person", operation: .update, targets: (1...250).map { "p\($0)" }, changes: ["name": .string("x")])
        #expect(Classifier.classify(m, in: pack).records == 250)
    }
}
