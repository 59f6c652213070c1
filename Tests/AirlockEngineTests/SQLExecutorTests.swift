import AirlockCore
import AirlockEngine
import AirlockTestSupport
import CEL
import GRDB
import Testing

@Suite("SQL executor", .sharedResources)
struct SQLExecutorTests {
    static let lampBefore = CELMap.of(["price": .double(20), "cost": .double(9.5), "stock": .int(40), "title": .string("Desk lamp")])

    static func repricing(_ id: String = "mut-1", price: Double = 18, before: CELMap? = lampBefore) -> ExecutionRequest {
        ExecutionRequest(
            mutationID: id, resource: "catalog.product", operation: .update, target: "sku-1",
            changes: .of(["price": .double(price)]), before: before)
    }

    static func transfer(_ id: String, amount: Double) -> ExecutionRequest {
        ExecutionRequest(
            mutationID: id, resource: "payments.transfer", operation: .create,
            changes: .of([
                "amount": .double(amount), "currency": .string("EUR"), "from_account": .string("acc-100200"),
                "to_account": .string("acc-200300"),
            ]))
    }

    @Test func theMarkersAreStampedByTheClockTheExecutorsWereMadeWith() async throws {
        let clock = ManualClock()
        let demo = try DemoFixture(clock: clock)
        let executor = demo.executor("catalog.product")
        let outcome = await executor.apply(Self.repricing())
        guard case .executed(let change) = outcome else { Issue.record("expected executed, got \(outcome)"); return }
        clock.advance(by: 90)
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        let stamps = try demo.strings("SELECT applied_at || ' ' || rolled_back_at FROM airlock_applied WHERE mutation_id = 'mut-1'")
        #expect(stamps == ["2026-01-01T00:00:00Z 2026-01-01T00:01:30Z"])
    }

    @Test func readsTheMappedFieldsOfARow() async throws {
        let demo = try DemoFixture()
        let values = try #require(await demo.executor("catalog.product").read(target: "sku-1"))
        #expect(values.keys == ["price", "cost", "stock", "title"].map { MapKey.string($0) })
        #expect(values["stock"]?.json == "40")
        #expect(await demo.executor("catalog.product").read(target: "sku-404") == nil)
    }

    @Test func anUpdateChangesTheRowAndKeepsItsImages() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        let outcome = await executor.apply(Self.repricing())
        guard case .executed(let change) = outcome else { Issue.record("expected executed, got \(outcome)"); return }
        #expect(change.target == "sku-1")
        #expect(change.beforeImage?["price"]?.json == "20.0")
        #expect(change.afterImage?["price"]?.json == "18.0")
        #expect(try demo.row("products", "sku-1")?["price"] == 18.0.databaseValue)
        #expect(try demo.count("SELECT count(*) FROM airlock_applied WHERE mutation_id = 'mut-1'") == 1)
        #expect(await executor.verify(Self.repricing(), change: change) == .matches)
    }

    @Test func aLaterChangeThroughAirlockIsNoMismatchButAnOutsideEditIs() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        guard case .executed(let first) = await executor.apply(Self.repricing("mut-a", price: 18)) else {
            Issue.record("expected executed")
            return
        }
        // Read back late (as reconciliation does after a crash), after another mutation repriced
        // the row: this change did what it said, and the row as it left it shows so.
        let second = Self.repricing("mut-b", price: 16, before: nil)
        guard case .executed = await executor.apply(second) else { Issue.record("expected executed"); return }
        #expect(await executor.verify(Self.repricing("mut-a", price: 18), change: first) == .matches)
        // Changed outside Airlock: the latest change no longer holds, and verification says so.
        try demo.execute("UPDATE products SET price = 99 WHERE id = 'sku-1'")
        guard case .executed(let latest) = await executor.apply(Self.repricing("mut-c", price: 15, before: nil)) else {
            Issue.record("expected executed")
            return
        }
        try demo.execute("UPDATE products SET price = 99 WHERE id = 'sku-1'")
        guard case .mismatch(let what) = await executor.verify(Self.repricing("mut-c", price: 15), change: latest) else {
            Issue.record("an edit outside Airlock went unnoticed")
            return
        }
        #expect(what.contains("price"), "\(what)")
    }

    @Test func aFailedPreconditionWritesNothing() async throws {
        let demo = try DemoFixture()
        try demo.execute("UPDATE products SET price = 25 WHERE id = 'sku-1'")
        let outcome = await demo.executor("catalog.product").apply(Self.repricing())
        guard case .conflict(let reason) = outcome else { Issue.record("expected conflict, got \(outcome)"); return }
        #expect(reason.contains("price"))
        #expect(try demo.row("products", "sku-1")?["price"] == 25.0.databaseValue)
        #expect(try demo.count("SELECT count(*) FROM airlock_applied") == 0)
    }

    @Test func numbersCompareByValue() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        // stock is an INTEGER column: a double precondition and a double change of the same value match.
        let request = ExecutionRequest(
            mutationID: "mut-n", resource: "catalog.product", operation: .update, target: "sku-9",
            changes: .of(["stock": .double(12)]), before: .of(["stock": .double(250), "price": .int(3)]))
        // price is 3.5, not 3: the precondition fails…
        guard case .conflict = await executor.apply(request) else { Issue.record("3 should not match 3.5"); return }
        var matching = request
        matching.before = .of(["stock": .double(250), "price": .double(3.5)])
        guard case .executed(let change) = await executor.apply(matching) else { Issue.record("expected executed"); return }
        #expect(try demo.row("products", "sku-9")?["stock"] == 12.databaseValue)
        #expect(await executor.verify(matching, change: change) == .matches)
    }

    @Test func aCreateOfAnExistingRowAndAnUpdateOfAMissingOneConflict() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        var missing = Self.repricing(before: nil)
        missing.target = "sku-404"
        guard case .conflict = await executor.apply(missing) else { Issue.record("expected conflict"); return }
        let payments = demo.executor("payments.transfer")
        guard case .executed = await payments.apply(Self.transfer("mut-t", amount: 5)) else { Issue.record("expected executed"); return }
        var again = Self.transfer("mut-u", amount: 5)
        again.target = "mut-t"
        guard case .conflict = await payments.apply(again) else { Issue.record("expected conflict"); return }
    }

    @Test func anUnmappedFieldFails() async throws {
        let demo = try DemoFixture()
        let request = ExecutionRequest(
            mutationID: "mut-x", resource: "catalog.product", operation: .update, target: "sku-1",
            changes: .of(["colour": .string("red")]))
        guard case .failed(let reason, retryable: false) = await demo.executor("catalog.product").apply(request) else {
            Issue.record("expected a failure")
            return
        }
        #expect(reason.contains("colour"))
    }

    @Test func applyingTwiceWritesOnce() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("payments.transfer")
        guard case .executed(let first) = await executor.apply(Self.transfer("mut-twice", amount: 100)) else {
            Issue.record("expected executed")
            return
        }
        guard case .executed(let second) = await executor.apply(Self.transfer("mut-twice", amount: 100)) else {
            Issue.record("expected executed")
            return
        }
        #expect(first.target == "mut-twice" && second.target == "mut-twice")
        #expect(try demo.count("SELECT count(*) FROM transfers") == 1)
        #expect(try demo.balance("acc-100200") == 249_900)
    }

    // MARK: Rollback

    @Test func rollingBackACreateDeletesTheRow() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("payments.transfer")
        guard case .executed(let change) = await executor.apply(Self.transfer("mut-c", amount: 1234.56)) else {
            Issue.record("expected executed")
            return
        }
        #expect(try demo.balance("acc-100200") == 248_765.44)
        #expect(try demo.balance("acc-200300") == 19_734.56)
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        #expect(try demo.row("transfers", "mut-c") == nil)
        #expect(try demo.balance("acc-100200") == 250_000)
        #expect(try demo.balance("acc-200300") == 18_500)
        // A second call (a crash after the rollback) changes nothing.
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        #expect(try demo.balance("acc-100200") == 250_000)
    }

    @Test func rollingBackAnUpdateRestoresEveryColumn() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        let before = try demo.row("products", "sku-1")
        let request = ExecutionRequest(
            mutationID: "mut-u", resource: "catalog.product", operation: .update, target: "sku-1",
            changes: .of(["price": .double(18), "stock": .int(0), "title": .string("Desk lamp (used)")]),
            before: Self.lampBefore)
        guard case .executed(let change) = await executor.apply(request) else { Issue.record("expected executed"); return }
        #expect(try demo.row("products", "sku-1") != before)
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        #expect(try demo.row("products", "sku-1") == before)
    }

    @Test func rollingBackADeleteReinsertsTheRowExactly() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("crm.customer")
        let before = try #require(try demo.row("customers", "cus-42"))
        let request = ExecutionRequest(
            mutationID: "mut-d", resource: "crm.customer", operation: .delete, target: "cus-42",
            before: .of(["tier": .string("standard")]))
        guard case .executed(let change) = await executor.apply(request) else { Issue.record("expected executed"); return }
        #expect(change.afterImage == nil)
        #expect(change.beforeImage?["email"]?.json == #""zoe@exmaple.com""#)
        #expect(try demo.row("customers", "cus-42") == nil)
        #expect(await executor.verify(request, change: change) == .matches)
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        // Unmapped columns (the name) come back too.
        #expect(try demo.row("customers", "cus-42") == before)
    }

    @Test func aRollbackIsRefusedWhenTheRowChangedSince() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        guard case .executed(let change) = await executor.apply(Self.repricing()) else { Issue.record("expected executed"); return }
        try demo.execute("UPDATE products SET stock = 7 WHERE id = 'sku-1'")
        let outcome = await executor.rollback(change, attempt: 1)
        guard case .refused(let reason) = outcome else { Issue.record("expected refused, got \(outcome)"); return }
        #expect(reason.contains("stock"))
        #expect(try demo.row("products", "sku-1")?["price"] == 18.0.databaseValue)
        #expect(try demo.row("products", "sku-1")?["stock"] == 7.databaseValue)
    }

    @Test func aRollbackOfADeleteIsRefusedWhenTheRowCameBack() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("crm.customer")
        let request = ExecutionRequest(mutationID: "mut-d2", resource: "crm.customer", operation: .delete, target: "cus-99")
        guard case .executed(let change) = await executor.apply(request) else { Issue.record("expected executed"); return }
        try demo.execute("INSERT INTO customers (id, name) VALUES ('cus-99', 'Someone else')")
        guard case .refused = await executor.rollback(change, attempt: 1) else { Issue.record("expected refused"); return }
        #expect(try demo.row("customers", "cus-99")?["name"] == "Someone else".databaseValue)
    }

    @Test func aRollbackWithoutAMarkerIsRefused() async throws {
        let demo = try DemoFixture()
        let change = ExecutedChange(
            mutationID: "mut-never", resource: "catalog.product", operation: .update, target: "sku-1",
            beforeImage: Self.lampBefore, afterImage: Self.lampBefore)
        guard case .refused = await demo.executor("catalog.product").rollback(change, attempt: 1) else { Issue.record("expected refused"); return }
    }

    // MARK: Verification

    @Test func verificationFindsADifference() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        guard case .executed(let change) = await executor.apply(Self.repricing()) else { Issue.record("expected executed"); return }
        try demo.execute("UPDATE products SET price = 17.5 WHERE id = 'sku-1'")
        let outcome = await executor.verify(Self.repricing(), change: change)
        guard case .mismatch(let description) = outcome else { Issue.record("expected mismatch, got \(outcome)"); return }
        #expect(description.contains("price: wanted 18.0, found 17.5"))
    }

    // MARK: Reconciliation

    @Test func reconciliationAfterTheTransactionFindsItApplied() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("payments.transfer")
        let request = Self.transfer("mut-crash-after", amount: 42)
        _ = await executor.apply(request)  // …and the gateway dies before recording the outcome.
        let outcome = await executor.reconcile(request)
        guard case .applied(let change) = outcome else { Issue.record("expected applied, got \(outcome)"); return }
        #expect(change.target == "mut-crash-after")
        #expect(change.afterImage?["amount"]?.json == "42.0")
        #expect(try demo.count("SELECT count(*) FROM transfers") == 1)
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
    }

    @Test func reconciliationBeforeTheTransactionFindsItNotApplied() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("payments.transfer")
        let request = Self.transfer("mut-crash-before", amount: 42)
        guard case .notApplied = await executor.reconcile(request) else { Issue.record("expected not applied"); return }
        #expect(try demo.count("SELECT count(*) FROM transfers") == 0)
        #expect(try demo.balance("acc-100200") == 250_000)
    }
}
