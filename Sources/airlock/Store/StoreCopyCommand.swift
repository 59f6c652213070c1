import AirlockEngine
import AirlockStore
import ArgumentParser
import Foundation

/// `airlock store …`: moving a store.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Move a store: copy a SQLite state directory into PostgreSQL.",
        subcommands: [StoreCopyCommand.self]
    )
}

/// `airlock store copy --from STATE_DIR --to postgres://…`.
struct StoreCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a SQLite store into an empty PostgreSQL database, then verify the copy's audit log.",
        discussion: """
            Copies every table row for row in one transaction: mutations, transitions, reviews, \
            votes, policy versions, signal state, idempotency keys, the notification outbox, the \
            learning tables, and the audit log with its hashes, checkpoints and head exactly as \
            they are, so the copy verifies under the same signing key (the state directory's, \
            which every instance on the database must then hold). The target must be empty; its \
            schema is created if missing. Stop the server that writes the SQLite store first. \
            Exit status 0 when the copy's audit log verifies, 1 when it does not.
            """
    )

    @Option(help: ArgumentHelp("The SQLite store: a state directory, or a configuration file whose state_dir is used.", valueName: "dir|file"))
    var from: String

    @Option(help: ArgumentHelp("The PostgreSQL database: a postgres:// URL, or a configuration file with store.postgres.", valueName: "url|file"))
    var to: String

    func run() async throws {
        let directory: StateDirectory
        if from.hasSuffix(".yaml") || from.hasSuffix(".yml") {
            do {
                directory = StateDirectory(path: try GatewayConfiguration.load(file: from).stateDirectory)
            } catch {
                throw ValidationError("\(error)")
            }
        } else {
            directory = StateDirectory(path: from)
        }
        let url: String
        if to.hasPrefix("postgres://") || to.hasPrefix("postgresql://") {
            url = to
        } else {
            let configuration: GatewayConfiguration
            do {
                configuration = try GatewayConfiguration.load(file: to)
            } catch {
                throw ValidationError("\(error)")
            }
            guard let postgres = configuration.postgres else {
                throw ValidationError("\(to) names no PostgreSQL database (store.postgres.url or AIRLOCK_DATABASE_URL)")
            }
            url = postgres.url
        }
        let source: SQLiteStore
        do {
            source = try SQLiteStore.open(directory, createIfMissing: false)
        } catch let error as StoreError where error.code == .databaseMissing {
            throw ValidationError("there is no Airlock database in \(directory.url.path)")
        }
        guard let key = source.configuration.signingKey else {
            throw ValidationError("no audit signing key in \(directory.url.path): the copy could not be verified nor extended")
        }
        let target = try await PostgresStore(
            url: url,
            configuration: PostgresStore.Configuration(
                signingKey: key, checkpointEvery: source.configuration.checkpointEvery, maximumConnections: 2, migrate: true))
        let report: StoreCopy.Report
        do {
            report = try await StoreCopy.copy(from: source, to: target)
        } catch {
            try? await target.close()
            try? await source.close()
            throw error
        }
        for (table, count) in report.rows where count > 0 { Output.line("\(table): \(count) rows") }
        let verification = try await target.verifyAudit(publicKey: key.publicKey)
        try await target.close()
        try await source.close()
        if verification.isIntact {
            Output.line("copied \(directory.databaseURL.path) to \(target.describe): audit log of \(report.auditRecords) records verifies")
        } else {
            Output.line("copied, but the audit log of \(target.describe) does not verify:")
            for problem in verification.problems { Output.line("  \(problem)") }
            throw ExitCode.failure
        }
    }
}
