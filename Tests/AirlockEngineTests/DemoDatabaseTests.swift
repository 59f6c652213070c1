import AirlockCore
import AirlockEngine
import CEL
import GRDB
import AirlockTestSupport
import Testing

@Suite("Demo database", .sharedResources)
struct DemoDatabaseTests {
    @Test func holdsTheExamplePacksRecords() async throws {
        let demo = try DemoFixture()
        #expect(try demo.row("accounts", "acc-100200") != nil)
        #expect(try demo.row("customers", "cus-42")?["tier"] == "standard".databaseValue)
        #expect(try demo.row("products", "sku-9")?["stock"] == 250.databaseValue)
        let product = try #require(await demo.executor("catalog.product").read(target: "sku-1"))
        #expect(product["price"]?.json == "20.0" && product["cost"]?.json == "9.5")
    }

    @Test func aTransferMovesMoneyBetweenAccounts() async throws {
        let demo = try DemoFixture()
        let request = ExecutionRequest(
            mutationID: "mut-demo", resource: "payments.transfer", operation: .create,
            changes: .of([
                "amount": .double(25_000), "currency": .string("EUR"), "from_account": .string("acc-100200"),
                "to_account": .string("acc-200300"), "memo": .string("Q3 supplies"),
            ]))
        guard case .executed = await demo.executor("payments.transfer").apply(request) else { Issue.record("expected executed"); return }
        #expect(try demo.balance("acc-100200") == 225_000)
        #expect(try demo.balance("acc-200300") == 43_500)
        #expect(try demo.row("transfers", "mut-demo")?["memo"] == "Q3 supplies".databaseValue)
    }

    @Test func creatingItAgainKeepsItsRows() async throws {
        let demo = try DemoFixture()
        try demo.execute("DELETE FROM customers WHERE id = 'cus-99'")
        try DemoDatabase.create(at: demo.path)
        #expect(try demo.row("customers", "cus-99") == nil)
        #expect(try demo.row("customers", "cus-1") != nil)
    }
}
