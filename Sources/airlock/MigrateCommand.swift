import AirlockEngine
import AirlockStore
import ArgumentParser
import Foundation

/// `airlock migrate`: brings the database's schema up to this build's, explicitly.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema migrations the database lacks.",
        discussion: """
            With PostgreSQL (store.postgres.url in --config, or AIRLOCK_DATABASE_URL), applies the \
            migrations the database lacks in one transaction under an advisory lock, so that \
            instances started together never migrate twice; `airlock serve` refuses a database \
            whose schema is older or newer than its own. Run it before starting instances of a new \
            version. With SQLite (the state directory's database), opening the database migrates \
            it; the command does that and reports the version.
            """
    )

    @Option(help: ArgumentHelp("The server's configuration file (its store and state_dir).", valueName: "file"))
    var config: String?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("The state directory of a SQLite store (ignored with --config).", valueName: "dir"))
    var stateDirectory = "./.airlock"

    func run() async throws {
        var configuration = GatewayConfiguration()
        configuration.stateDirectory = stateDirectory
        if let config {
            do {
                configuration = try GatewayConfiguration.load(file: config)
            } catch {
                throw ValidationError("\(error)")
            }
        } else {
            configuration.applyDatabaseURL(from: ProcessInfo.processInfo.environment)
        }
        if let postgres = configuration.postgres {
            let store = try await PostgresStore(
                url: postgres.url, configuration: PostgresStore.Configuration(signingKey: nil, maximumConnections: 1, migrate: true))
            try await store.close()
            let now = PostgresStore.schemaVersion
            if store.schemaVersionFound == now {
                Output.line("\(store.describe): schema version \(now), nothing to do")
            } else {
                Output.line("\(store.describe): schema version \(store.schemaVersionFound) → \(now)")
            }
        } else {
            let directory = StateDirectory(path: configuration.stateDirectory)
            let store = try SQLiteStore.open(directory)
            try await store.close()
            Output.line("\(directory.databaseURL.path): schema version \(SQLiteStore.schemaVersion)")
        }
    }
}
