import AirlockCore
import AirlockEngine
import CEL
import AirlockTestSupport
import Testing

@Suite("Execution model", .sharedResources)
struct ExecutionModelTests {
    static let bulk = ExecutedChange(
        mutationID: "mut-b", resource: "catalog.product", operation: .update,
        records: [
            RecordChange(target: "sku-1", beforeImage: .of(["stock": .int(40)]), afterImage: .of(["stock": .int(0)])),
            RecordChange(target: "sku-2", beforeImage: .of(["stock": .int(12)]), afterImage: .of(["stock": .int(0)])),
        ])

    @Test func aBulkChangeRoundTripsThroughJSON() throws {
        let json = Self.bulk.jsonValue
        let read = try #require(ExecutedChange(jsonValue: json))
        #expect(read.mutationID == "mut-b" && read.resource == "catalog.product" && read.operation == .update)
        #expect(read.records.map(\.target) == ["sku-1", "sku-2"])
        #expect(read.records.map { $0.beforeImage?["stock"]?.json } == ["40", "12"])
        #expect(read.records.map { $0.afterImage?["stock"]?.json } == ["0", "0"])
        #expect(read.jsonValue.json == json.json)
        // Through text too, as the audit log and the engine's table keep it.
        let reread = try #require(ExecutedChange(jsonValue: try Value(json: CanonicalJSON.encode(json))))
        #expect(reread.jsonValue.json == json.json)
    }

    @Test func aSingleRecordChangeKeepsTheEarlierJSONForm() throws {
        let created = ExecutedChange(
            mutationID: "mut-c", resource: "payments.transfer", operation: .create, target: "mut-c", beforeImage: nil,
            afterImage: .of(["amount": .double(42)]))
        #expect(
            CanonicalJSON.encode(created.jsonValue)
                == #"{"after":{"amount":42.0},"before":null,"mutation_id":"mut-c","operation":"create","resource":"payments.transfer","target":"mut-c"}"#
        )
        let read = try #require(ExecutedChange(jsonValue: created.jsonValue))
        #expect(read.records.count == 1 && read.target == "mut-c" && read.beforeImage == nil)
        #expect(read.afterImage?["amount"]?.json == "42.0")
    }

    @Test func readsTheSingleRecordFormEarlierVersionsWrote() throws {
        // The `change` of an `executed` audit entry written before bulk changes existed.
        let legacy = try Value(
            json: #"""
                {"after":{"price":18.0,"stock":40},"before":{"price":20.0,"stock":40},"mutation_id":"mut_01","operation":"update","resource":"catalog.product","target":"sku-1"}
                """#)
        let change = try #require(ExecutedChange(jsonValue: legacy))
        #expect(change.mutationID == "mut_01" && change.operation == .update && !change.isBulk)
        #expect(change.records.map(\.target) == ["sku-1"])
        #expect(change.records[0].beforeImage?["price"]?.json == "20.0")
        #expect(change.records[0].afterImage?["price"]?.json == "18.0")
    }

    @Test func rejectsWhatIsNotAChange() throws {
        for text in [
            #"{"mutation_id":"m","resource":"r","operation":"update"}"#,
            #"{"mutation_id":"m","resource":"r","operation":"update","records":[]}"#,
            #"{"mutation_id":"m","resource":"r","operation":"update","records":[{"before":null}]}"#,
            #"{"mutation_id":"m","resource":"r","operation":"upsert","target":"x"}"#,
        ] {
            #expect(ExecutedChange(jsonValue: try Value(json: text)) == nil, "\(text)")
        }
    }

    @Test func aRequestListsTheMutationsTargets() {
        let bulk = Mutation(resource: "catalog.product", operation: .update, targets: ["sku-1", "sku-2"], changes: .of(["stock": .int(0)]))
        let request = ExecutionRequest(mutationID: "mut-b", mutation: bulk)
        #expect(request.targets == ["sku-1", "sku-2"] && request.isBulk && request.target == nil)
        let single = Mutation(resource: "catalog.product", operation: .update, target: "sku-1", changes: .of(["stock": .int(0)]))
        #expect(ExecutionRequest(mutationID: "mut-s", mutation: single).targets == ["sku-1"])
        let create = Mutation(resource: "payments.transfer", operation: .create, changes: .of(["amount": .double(1)]))
        let created = ExecutionRequest(mutationID: "mut-c", mutation: create)
        #expect(created.targets.isEmpty && created.keys == ["mut-c"])
    }

    @Test func everyExecutorSaysWhetherItTakesBulkChanges() throws {
        let demo = try DemoFixture()
        #expect(demo.executor("catalog.product").supportsBulk)
        #expect(NoneExecutor().supportsBulk)
    }
}
