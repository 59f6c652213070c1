import Logging
import PostgresNIO

/// One attempt at a group commit on one connection, opening its transaction (`BEGIN`) only when
/// a statement needs one before the final write.
///
/// A batch whose changes need nothing from the database (low-tier submissions: new rows only)
/// is then one statement in PostgreSQL's implicit transaction: one round trip, committed (and
/// durable) when its answer comes. A statement that reads or changes existing rows opens the
/// transaction first, and the batch commits with `COMMIT`.
final class PostgresWriteSession {
    let connection: PostgresConnection
    let logger: Logger
    /// Whether `BEGIN` was sent.
    private(set) var inTransaction = false
    /// Run right after `BEGIN`, before any statement of the batch.
    private let opening: (nonisolated(nonsending) () async throws -> Void)?

    init(connection: PostgresConnection, logger: Logger, opening: (nonisolated(nonsending) () async throws -> Void)? = nil) {
        self.connection = connection
        self.logger = logger
        self.opening = opening
    }

    /// Sends `BEGIN` (and runs `opening`) unless it was.
    nonisolated(nonsending) func begin() async throws {
        guard !inTransaction else { return }
        try await connection.run("BEGIN", logger: logger)
        inTransaction = true
        try await opening?()
    }

    /// Runs a statement inside the transaction, opening it first if need be.
    @discardableResult
    nonisolated(nonsending) func run(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await begin()
        return try await connection.run(query, logger: logger)
    }

    /// Runs the batch's last statement: inside the transaction when there is one, otherwise on
    /// its own (its implicit transaction commits it).
    nonisolated(nonsending) func runLast(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.run(query, logger: logger)
    }

    /// Commits the transaction, if one was opened.
    nonisolated(nonsending) func commit() async throws {
        guard inTransaction else { return }
        try await connection.run("COMMIT", logger: logger)
        inTransaction = false
    }

    /// Rolls back the transaction, if one was opened (closing the connection when even that
    /// fails).
    nonisolated(nonsending) func rollBack() async {
        guard inTransaction else { return }
        await connection.rollBack(logger: logger)
        inTransaction = false
    }
}
