import Dispatch
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The audit log read page by page on one connection, for a verifier: the records of one page at
/// a time are in memory, not the whole log.
///
/// The verifier is synchronous (it hashes on one thread and checks the chain on another), so it
/// runs on a thread of its own (``verify(_:)``); each page is fetched by a task while that thread
/// waits, and the next page is asked for before the current one is handed over. Every pass reads
/// on the same connection, so inside the caller's `REPEATABLE READ` transaction every pass (the
/// diagnosis of a break reads the log a second time) sees the same snapshot.
struct PostgresAuditPages: AuditRowSource, Sendable {
    let connection: PostgresConnection
    let logger: Logger
    var pageSize = 10_000

    func forEachRow<Visitor: AuditRowVisitor>(_ visitor: inout Visitor) throws {
        var page = try Self.wait(for: fetch(after: 0))
        while true {
            let next = page.count == pageSize ? page.last.map { fetch(after: $0.seq) } : nil
            for record in page where !record.withRowView({ visitor.visit($0) }) {
                next?.cancel()
                return
            }
            guard let next else { return }
            page = try Self.wait(for: next)
        }
    }

    private func fetch(after seq: Int64) -> Task<[AuditRecord], any Error> {
        Task { [connection, logger, pageSize] in
            try await connection.run(
                "SELECT \(unescaped: PostgresStore.auditColumns) FROM audit_log WHERE seq > \(seq) ORDER BY seq LIMIT \(Int64(pageSize))",
                logger: logger
            ).map(PostgresStore.auditRecord(row:))
        }
    }

    /// Blocks this thread (never one of Swift's cooperative threads: see ``verify(_:)``) until
    /// `task` has finished.
    private static func wait(for task: Task<[AuditRecord], any Error>) throws -> [AuditRecord] {
        let result = Mutex<Result<[AuditRecord], any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<[AuditRecord], any Error>
            do { outcome = .success(try await task.value) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }

    /// Runs `verifier` over these pages on a thread of its own, so that waiting for a page never
    /// holds one of the cooperative threads the fetching tasks need.
    func verify(_ verifier: AuditVerifier) async throws -> AuditVerificationReport {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { [self] in
                continuation.resume(with: Result { try verifier.verify(self) })
            }
            thread.name = "airlock-audit-verify"
            thread.start()
        }
    }
}
