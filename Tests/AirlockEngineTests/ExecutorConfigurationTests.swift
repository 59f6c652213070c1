import AirlockCore
import AirlockEngine
import Foundation
import Testing
import Yams

@Suite("Executor configuration")
struct ExecutorConfigurationTests {
    static func parse(_ yaml: String, environment: [String: String] = ["BILLING_SECRET": "k"]) throws -> ExecutorConfiguration {
        let node = try #require(try Yams.compose(yaml: yaml))
        return try ExecutorConfiguration.parse(node, file: "/etc/airlock/airlock.yaml", environment: environment)
    }

    static func problem(_ yaml: String, environment: [String: String] = ["BILLING_SECRET": "k"]) throws -> ConfigurationError {
        let node = try #require(try Yams.compose(yaml: yaml))
        do {
            _ = try ExecutorConfiguration.parse(node, file: "airlock.yaml", environment: environment)
        } catch {
            return error
        }
        Issue.record("expected a configuration error")
        return ConfigurationError(message: "none")
    }

    @Test func readsEachKind() throws {
        let configuration = try Self.parse(
            """
            catalog.product:
              kind: sql
              database: data/shop.sqlite
              table: products
              key: sku
              fields: { price: price_eur, stock: stock }
            crm.customer:
              kind: sql
              database: /var/lib/crm.sqlite
              table: customers
              fields: [email, tier]
            billing.invoice:
              kind: http
              secret_env: BILLING_SECRET
              create: https://billing.example/invoices/{target}
              update: PUT https://billing.example/invoices/{target}
              delete: { url: "https://billing.example/invoices/{target}" }
              read: https://billing.example/invoices/{target}
              compensate:
                create: https://billing.example/invoices/{target}
                update: { method: put, url: "https://billing.example/invoices/{target}" }
              timeout: 2.5s
              retry: { attempts: 6, initial_delay: 50ms, max_delay: 1m }
              concurrency: 3
            ops.ticket:
              kind: none
            """)
        #expect(configuration.entries.map(\.resource) == ["catalog.product", "crm.customer", "billing.invoice", "ops.ticket"])
        guard case .sql(let products)? = configuration["catalog.product"]?.kind else { Issue.record("expected sql"); return }
        #expect(products == SQLMapping(
            databasePath: "/etc/airlock/data/shop.sqlite", table: "products", keyColumn: "sku",
            fields: [.init(name: "price", column: "price_eur"), .init(name: "stock", column: "stock")]))
        guard case .sql(let customers)? = configuration["crm.customer"]?.kind else { Issue.record("expected sql"); return }
        #expect(customers.databasePath == "/var/lib/crm.sqlite")
        #expect(customers.keyColumn == "id")
        guard case .http(let billing)? = configuration["billing.invoice"]?.kind else { Issue.record("expected http"); return }
        #expect(billing.endpoints[.create] == HTTPEndpoint(method: "POST", url: "https://billing.example/invoices/{target}"))
        #expect(billing.endpoints[.update]?.method == "PUT")
        #expect(billing.endpoints[.delete]?.method == "DELETE")
        #expect(billing.compensations[.create]?.method == "DELETE")
        #expect(billing.compensations[.update]?.method == "PUT")
        #expect(billing.readURL == "https://billing.example/invoices/{target}")
        #expect(billing.secret == Array("k".utf8))
        #expect(billing.timeout == .milliseconds(2500))
        #expect(billing.retry == RetryPolicy(attempts: 6, initialDelay: .milliseconds(50), maximumDelay: .seconds(60)))
        #expect(billing.concurrency == 3)
        guard case .none? = configuration["ops.ticket"]?.kind else { Issue.record("expected none"); return }
        #expect(configuration["billing.invoice"]?.line == 12)
    }

    @Test func problemsSayWhere() throws {
        let unknownKey = try Self.problem(
            """
            catalog.product:
              kind: sql
              database: shop.sqlite
              table: products
              colums: [price]
            """)
        #expect(unknownKey.line == 5 && unknownKey.column == 3)
        #expect(unknownKey.message.contains("unknown key 'colums'"))

        let kind = try Self.problem("catalog.product: { kind: ftp }")
        #expect(kind.message.contains("unknown executor kind 'ftp'"))

        let secret = try Self.problem(
            """
            billing.invoice:
              kind: http
              create: https://billing.example/invoices
              secret_env: MISSING_SECRET
            """)
        #expect(secret.line == 4)
        #expect(secret.message.contains("MISSING_SECRET"))

        let url = try Self.problem(
            """
            billing.invoice:
              kind: http
              secret_env: BILLING_SECRET
              create: POST ftp://billing.example/invoices
            """)
        #expect(url.message.contains("not an http or https URL"))

        let table = try Self.problem("catalog.product: { kind: sql, database: x.sqlite, table: 'products; drop', fields: [price] }")
        #expect(table.message.contains("plain SQL name"))

        let timeout = try Self.problem(
            "billing.invoice: { kind: http, secret_env: BILLING_SECRET, create: 'https://b.example/i', timeout: soon }")
        #expect(timeout.message.contains("timeout"))

        let concurrency = try Self.problem(
            "billing.invoice: { kind: http, secret_env: BILLING_SECRET, create: 'https://b.example/i', concurrency: 0 }")
        #expect(concurrency.message.contains("concurrency must be a whole number from 1 to 256"), "\(concurrency.message)")
    }

    @Test func checksEntriesAgainstThePack() throws {
        let pack = try ExamplePack.load()
        let typo = try Self.parse("catalog.product: { kind: sql, database: x.sqlite, table: products, fields: [price, cost, stock, titel] }")
        #expect(throws: ConfigurationError.self) { try typo.check(against: pack) }
        let partial = try Self.parse("catalog.product: { kind: sql, database: x.sqlite, table: products, fields: [price] }")
        #expect(throws: ConfigurationError.self) { try partial.check(against: pack) }
        let unknown = try Self.parse("payments.refund: { kind: none }")
        #expect(throws: ConfigurationError.self) { try unknown.check(against: pack) }
        let noUpdate = try Self.parse("crm.customer: { kind: http, secret_env: BILLING_SECRET, delete: 'https://crm.example/c/{target}' }")
        #expect(throws: ConfigurationError.self) { try noUpdate.check(against: pack) }
        try DemoDatabase.executorConfiguration(databasePath: "demo.sqlite").check(against: pack)
    }

    @Test func buildingExecutorsChecksTheTable() throws {
        let demo = try DemoFixture()
        let wrong = ExecutorConfiguration(entries: [
            .init(
                resource: "catalog.product",
                kind: .sql(SQLMapping(databasePath: demo.path, table: "products", keyColumn: "id", sameNamedFields: ["colour"])))
        ])
        #expect(throws: ConfigurationError.self) { try wrong.makeExecutors() }
        let missing = ExecutorConfiguration(entries: [
            .init(
                resource: "catalog.product",
                kind: .sql(SQLMapping(databasePath: demo.directory.path + "/nope.sqlite", table: "products", keyColumn: "id", sameNamedFields: ["price"])))
        ])
        #expect(throws: ConfigurationError.self) { try missing.makeExecutors() }
        #expect(!FileManager.default.fileExists(atPath: demo.directory.path + "/nope.sqlite"))
    }

    @Test func retryDelaysDoubleUpToTheCap() {
        let policy = RetryPolicy(attempts: 6, initialDelay: .milliseconds(200), maximumDelay: .seconds(1))
        #expect((2...6).map(policy.delay(beforeAttempt:)) == [
            .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1),
        ])
    }
}

/// The example pack of the repository.
enum ExamplePack {
    static func load() throws -> PolicyPack {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("examples/policies")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        let files = try names.map { name in
            (name: name, text: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
        return try PolicyPack.load(files: files)
    }
}
