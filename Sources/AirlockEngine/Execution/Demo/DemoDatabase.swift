import Foundation
import GRDB

/// The database behind the embedded defaults: the accounts, transfers, customers and products
/// the example pack's resources (`payments.transfer`, `crm.customer`, `catalog.product`) change,
/// so that the README's examples change real rows.
///
/// A transfer is a row of `transfers`; triggers move its amount between the two `accounts` rows
/// when it is inserted, and back when it is deleted (a rollback).
public enum DemoDatabase {
    /// The file name of the demo database in the state directory.
    public static let fileName = "demo.sqlite"

    /// Creates the demo database at `path` with its rows, the first time; a database already
    /// there keeps its rows (changes made through the gateway survive a restart).
    public static func create(at path: String) throws(ConfigurationError) {
        do {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            let database = try DatabaseQueue(path: path)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("demo-v1", migrate: createTables)
            try migrator.migrate(database)
            try database.close()
        } catch {
            throw ConfigurationError(file: path, message: "cannot create the demo database: \(error)")
        }
    }

    /// The executors of the example pack's resources over the demo database at `path`.
    public static func executorConfiguration(databasePath path: String) -> ExecutorConfiguration {
        func sql(_ resource: String, _ table: String, _ fields: [String]) -> ExecutorConfiguration.Entry {
            .init(
                resource: resource,
                kind: .sql(SQLMapping(databasePath: path, table: table, keyColumn: "id", sameNamedFields: fields)))
        }
        return ExecutorConfiguration(entries: [
            sql("payments.transfer", "transfers", ["amount", "currency", "from_account", "to_account", "memo"]),
            sql("crm.customer", "customers", ["email", "phone", "address", "ssn", "tier", "notes"]),
            sql("catalog.product", "products", ["price", "cost", "stock", "title"]),
        ])
    }

    private static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY NOT NULL,
                    owner TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    balance REAL NOT NULL
                );
                CREATE TABLE transfers (
                    id TEXT PRIMARY KEY NOT NULL,
                    amount REAL NOT NULL,
                    currency TEXT NOT NULL,
                    from_account TEXT NOT NULL,
                    to_account TEXT NOT NULL,
                    memo TEXT,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                );
                CREATE TRIGGER transfers_book AFTER INSERT ON transfers BEGIN
                    UPDATE accounts SET balance = round(balance - NEW.amount, 2) WHERE id = NEW.from_account;
                    UPDATE accounts SET balance = round(balance + NEW.amount, 2) WHERE id = NEW.to_account;
                END;
                CREATE TRIGGER transfers_unbook AFTER DELETE ON transfers BEGIN
                    UPDATE accounts SET balance = round(balance + OLD.amount, 2) WHERE id = OLD.from_account;
                    UPDATE accounts SET balance = round(balance - OLD.amount, 2) WHERE id = OLD.to_account;
                END;
                CREATE TABLE customers (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    email TEXT,
                    phone TEXT,
                    address TEXT,
                    ssn TEXT,
                    tier TEXT NOT NULL DEFAULT 'standard',
                    notes TEXT
                );
                CREATE TABLE products (
                    id TEXT PRIMARY KEY NOT NULL,
                    title TEXT NOT NULL,
                    price REAL NOT NULL,
                    cost REAL NOT NULL,
                    stock INTEGER NOT NULL
                );
                """)
        let accounts: [(String, String, String, Double)] = [
            ("acc-100200", "Acme Operations", "EUR", 250_000),
            ("acc-200300", "Globex Supplies", "EUR", 18_500),
            ("acc-100001", "Payroll", "EUR", 0),
            ("acc-100002", "Tax office", "EUR", 0),
            ("acc-100003", "Landlord", "EUR", 0),
            ("acc-555555", "Initech Consulting", "EUR", 2_300),
            ("acc-000666", "Frozen: under investigation", "EUR", 9_999),
            ("acc-000999", "Frozen: sanctioned", "USD", 0),
        ]
        for (id, owner, currency, balance) in accounts {
            try db.execute(
                sql: "INSERT INTO accounts (id, owner, currency, balance) VALUES (?, ?, ?, ?)",
                arguments: [id, owner, currency, balance])
        }
        let customers: [(String, String, String?, String?, String?, String?, String, String?)] = [
            (
                "cus-1", "Ada Byron", "ada@example.com", "+44 20 7946 0001", "12 St James's Square, London",
                "123-45-6789", "premium", nil
            ),
            (
                "cus-7", "Initech AG", "procurement@initech.example", "+41 44 555 01 07", "Bahnhofstrasse 7, 8001 Zürich",
                nil, "enterprise", "VIP"
            ),
            (
                "cus-42", "Zoë Martin", "zoe@exmaple.com", "+33 1 70 36 42 42", "42 rue de Rivoli, Paris", "987-65-4321",
                "standard", "Typo in the email's domain"
            ),
            ("cus-99", "Bruno Keller", "bruno@example.org", nil, nil, nil, "free", nil),
        ]
        for (id, name, email, phone, address, ssn, tier, notes) in customers {
            try db.execute(
                sql: """
                    INSERT INTO customers (id, name, email, phone, address, ssn, tier, notes)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, name, email, phone, address, ssn, tier, notes])
        }
        let products: [(String, String, Double, Double, Int)] = [
            ("sku-1", "Desk lamp", 20.0, 9.5, 40),
            ("sku-2", "Office chair", 149.0, 80.0, 12),
            ("sku-9", "Notebook A5", 3.5, 1.2, 250),
        ]
        for (id, title, price, cost, stock) in products {
            try db.execute(
                sql: "INSERT INTO products (id, title, price, cost, stock) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, title, price, cost, stock])
        }
    }
}
