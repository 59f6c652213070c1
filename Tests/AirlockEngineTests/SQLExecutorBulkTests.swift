import AirlockCore
import AirlockEngine
import CEL
import GRDB
import AirlockTestSupport
import Testing

@Suite("SQL executor, bulk", .sharedResources)
struct SQLExecutorBulkTests {
    static let skus = ["sku-1", "sku-2", "sku-9"]

    static func restock(_ id: String = "mut-b", stock: Int = 0, before: CELMap? = nil, targets: [String] = skus)
        -> ExecutionRequest
    {
        ExecutionRequest(
            mutationID: id, resource: "catalog.product", operation: .update, targets: targets,
            changes: .of(["stock": .int(Int64(stock))]), before: before)
    }

    /// Every product's row, by key.
    static func rows(_ demo: DemoFixture) throws -> [[String: DatabaseValue]?] {
        try skus.map { try demo.row("products", $0) }
    }

    @Test func everyRecordIsWrittenWithItsOwnMarkerAndImages() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        #expect(executor.supportsBulk)
        let outcome = await executor.apply(Self.restock())
        guard case .executed(let change) = outcome else { Issue.record("expected executed, got \(outcome)"); return }
        #expect(change.records.map(\.target) == Self.skus)
        #expect(change.records.map { $0.beforeImage?["stock"]?.json } == ["40", "12", "250"])
        #expect(change.records.map { $0.afterImage?["stock"]?.json } == ["0", "0", "0"])
        #expect(try Self.rows(demo).map { $0?["stock"] } == Array(repeating: 0.databaseValue, count: 3))
        #expect(try demo.count("SELECT count(*) FROM airlock_applied WHERE mutation_id = 'mut-b'") == 3)
        #expect(await executor.verify(Self.restock(), change: change) == .matches)
        // Applying again writes nothing and answers as the first time.
        guard case .executed(let again) = await executor.apply(Self.restock()) else { Issue.record("expected executed"); return }
        #expect(again.records.map(\.target) == Self.skus)
        #expect(try demo.count("SELECT count(*) FROM airlock_applied") == 3)
    }

    @Test func oneStaleRecordWritesNothing() async throws {
        let demo = try DemoFixture()
        try demo.execute("UPDATE products SET stock = 10")
        try demo.execute("UPDATE products SET stock = 11 WHERE id = 'sku-2'")  // changed since the decision
        let before = try Self.rows(demo)
        let outcome = await demo.executor("catalog.product").apply(Self.restock(before: .of(["stock": .int(10)])))
        guard case .conflict(let reason) = outcome else { Issue.record("expected conflict, got \(outcome)"); return }
        #expect(reason.contains("record 'sku-2'"), "\(reason)")
        #expect(reason.contains("1 of 3 records"), "\(reason)")
        #expect(!reason.contains("sku-1") && !reason.contains("sku-9"), "\(reason)")
        #expect(try Self.rows(demo) == before)
        #expect(try demo.count("SELECT count(*) FROM airlock_applied") == 0)
    }

    @Test func oneMissingRecordWritesNothing() async throws {
        let demo = try DemoFixture()
        let before = try Self.rows(demo)
        let outcome = await demo.executor("catalog.product").apply(Self.restock(targets: ["sku-1", "sku-404", "sku-2"]))
        guard case .conflict(let reason) = outcome else { Issue.record("expected conflict, got \(outcome)"); return }
        #expect(reason.contains("record 'sku-404': no row"), "\(reason)")
        #expect(try Self.rows(demo) == before)
        #expect(try demo.count("SELECT count(*) FROM airlock_applied") == 0)
    }

    @Test func verificationNamesTheRecordThatDiffers() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        guard case .executed(let change) = await executor.apply(Self.restock()) else { Issue.record("expected executed"); return }
        try demo.execute("UPDATE products SET stock = 3 WHERE id = 'sku-9'")
        guard case .mismatch(let description) = await executor.verify(Self.restock(), change: change) else {
            Issue.record("expected mismatch")
            return
        }
        #expect(description.contains("'sku-9'") && description.contains("stock: wanted 0, found 3"), "\(description)")
        #expect(!description.contains("sku-1"), "\(description)")
    }

    // MARK: Rollback

    @Test func aRollbackRestoresEveryRecord() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        let before = try Self.rows(demo)
        guard case .executed(let change) = await executor.apply(Self.restock()) else { Issue.record("expected executed"); return }
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        #expect(try Self.rows(demo) == before)
        #expect(try demo.count("SELECT count(*) FROM airlock_applied WHERE rolled_back_at IS NOT NULL") == 3)
        // Again (a crash after the rollback): nothing more is written.
        #expect(await executor.rollback(change, attempt: 2) == .rolledBack)
        #expect(try Self.rows(demo) == before)
    }

    @Test func aRollbackOfABulkDeleteReinsertsEveryRow() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("crm.customer")
        let before = try ["cus-42", "cus-99"].map { try demo.row("customers", $0) }
        let request = ExecutionRequest(
            mutationID: "mut-bd", resource: "crm.customer", operation: .delete, targets: ["cus-42", "cus-99"])
        guard case .executed(let change) = await executor.apply(request) else { Issue.record("expected executed"); return }
        #expect(try demo.row("customers", "cus-42") == nil && demo.row("customers", "cus-99") == nil)
        #expect(await executor.verify(request, change: change) == .matches)
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        #expect(try ["cus-42", "cus-99"].map { try demo.row("customers", $0) } == before)
    }

    @Test func aRollbackIsRefusedForAllWhenOneRecordChanged() async throws {
        let demo = try DemoFixture()
        let executor = demo.executor("catalog.product")
        guard case .executed(let change) = await executor.apply(Self.restock()) else { Issue.record("expected executed"); return }
        try demo.execute("UPDATE products SET stock = 5 WHERE id = 'sku-9'")
        let outcome = await executor.rollback(change, attempt: 1)
        guard case .refused(let reason) = outcome else { Issue.record("expected refused, got \(outcome)"); return }
        #expect(reason.contains("'sku-9'") && reason.contains("none was restored"), "\(reason)")
        // Nothing was written: the other records keep the mutation's values.
        #expect(try Self.rows(demo).map { $0?["stock"] } == [0.databaseValue, 0.databaseValue, 5.databaseValue])
        #expect(try demo.count("SELECT count(*) FROM airlock_applied WHERE rolled_back_at IS NOT NULL") == 0)
    }

    // MARK: Reconciliation

    @Test func reconciliationAfterACrashFindsEveryRecordApplied() async throws {
        let demo = try DemoFixture()
        _ = await demo.executor("catalog.product").apply(Self.restock())  // …and the gateway dies before recording it.
        let restarted = try DemoDatabase.executorConfiguration(databasePath: demo.path).makeExecutors()
        let executor = restarted.executor(for: "catalog.product")
        let outcome = await executor.reconcile(Self.restock())
        guard case .applied(let change) = outcome else { Issue.record("expected applied, got \(outcome)"); return }
        #expect(change.records.map(\.target) == Self.skus)
        #expect(change.records.map { $0.beforeImage?["stock"]?.json } == ["40", "12", "250"])
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        #expect(try demo.row("products", "sku-2")?["stock"] == 12.databaseValue)
    }

    @Test func aFailureAfterSomeRecordsWritesNothingAndReconcilesAsNotApplied() async throws {
        let demo = try DemoFixture()
        let before = try Self.rows(demo)
        // The write of the last record fails inside the transaction, after the first two were written.
        try demo.execute(
            """
            CREATE TRIGGER fail_sku_9 BEFORE UPDATE ON products WHEN NEW.id = 'sku-9'
            BEGIN SELECT RAISE(ABORT, 'disk on fire'); END
            """)
        let executor = demo.executor("catalog.product")
        guard case .failed(let reason, _) = await executor.apply(Self.restock()) else { Issue.record("expected failed"); return }
        #expect(reason.contains("disk on fire"), "\(reason)")
        #expect(try Self.rows(demo) == before)
        #expect(try demo.count("SELECT count(*) FROM airlock_applied") == 0)
        guard case .notApplied = await executor.reconcile(Self.restock()) else { Issue.record("expected not applied"); return }
    }

    // MARK: Markers of earlier versions

    @Test func aMarkerTableOfTheEarlierFormIsUpgradedAndItsMarkersStillRollBack() async throws {
        let demo = try DemoFixture()
        let before = try demo.row("products", "sku-1")
        let single = ExecutionRequest(
            mutationID: "mut-old", resource: "catalog.product", operation: .update, target: "sku-1",
            changes: .of(["price": .double(18)]))
        guard case .executed(let change) = await demo.executor("catalog.product").apply(single) else {
            Issue.record("expected executed")
            return
        }
        // Rewrite the table as an earlier version made it: one row per mutation, no position.
        try demo.execute(
            """
            CREATE TABLE old_applied (
                mutation_id TEXT PRIMARY KEY NOT NULL, resource TEXT NOT NULL, table_name TEXT NOT NULL,
                target TEXT NOT NULL, operation TEXT NOT NULL, before_image TEXT, after_image TEXT,
                applied_at TEXT NOT NULL, rolled_back_at TEXT);
            INSERT INTO old_applied SELECT mutation_id, resource, table_name, target, operation, before_image,
                after_image, applied_at, rolled_back_at FROM airlock_applied;
            DROP TABLE airlock_applied;
            ALTER TABLE old_applied RENAME TO airlock_applied;
            """)
        #expect(try demo.count("SELECT count(*) FROM pragma_table_info('airlock_applied') WHERE name = 'position'") == 0)

        let restarted = try DemoDatabase.executorConfiguration(databasePath: demo.path).makeExecutors()
        #expect(try demo.count("SELECT count(*) FROM pragma_table_info('airlock_applied') WHERE name = 'position'") == 1)
        let executor = restarted.executor(for: "catalog.product")
        guard case .applied(let found) = await executor.reconcile(single) else { Issue.record("expected applied"); return }
        #expect(found.target == "sku-1")
        #expect(await executor.rollback(change, attempt: 1) == .rolledBack)
        #expect(try demo.row("products", "sku-1") == before)
    }
}
