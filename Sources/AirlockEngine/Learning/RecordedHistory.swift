import AirlockCore
import AirlockStore
import CEL
import Foundation

/// The decisions of a window of the audit log, each with what became of its mutation: what
/// `airlock policy replay` decides again and `airlock policy insights` counts. Read from the log
/// alone — the `submitted` record's mutation, the `decided` record's decision and inputs, and the
/// review and rollback records that follow.
public struct RecordedHistory: Sendable {
    /// The decisions read, in log order.
    public var cases: [RecordedCase] = []
    /// Decisions that could not be read back, with why (a decision recorded before its inputs
    /// were kept, a window that starts between a submission and its decision).
    public var unreadable: [(mutationID: String, reason: String)] = []
    /// Audit records read.
    public var records = 0

    public init() {}

    /// Reads the decisions made at or after `since` and every later record about them.
    public static func read(from store: any Store, since: Date, pageSize: Int = 10_000) async throws -> RecordedHistory {
        var history = RecordedHistory()
        guard let first = try await store.firstAuditSeq(atOrAfter: since) else { return history }
        var reader = Reader()
        var after = first - 1
        while true {
            let page = try await store.auditRecords(after: after, limit: pageSize)
            guard let last = page.last else { break }
            for record in page { reader.read(record, into: &history) }
            history.records += page.count
            after = last.seq
            if page.count < pageSize { break }
        }
        return history
    }

    /// Folds records into a history, one at a time, in log order.
    struct Reader {
        /// Submissions waiting for their decision (the next record, in the same commit).
        var submitted: [String: String] = [:]
        /// Where each mutation's case is in the history.
        var index: [String: Int] = [:]
        /// When each mutation's review opened.
        var reviewOpened: [String: Date] = [:]

        mutating func read(_ record: AuditRecord, into history: inout RecordedHistory) {
            guard let id = record.mutationID else { return }
            switch record.kind {
            case .submitted:
                submitted[id] = record.payload
            case .decided:
                guard let document = submitted.removeValue(forKey: id) else {
                    history.unreadable.append((id, "its submission is before the window"))
                    return
                }
                do {
                    history.cases.append(try RecordedCase(mutationID: id, submitted: document, decided: record.payload))
                    index[id] = history.cases.count - 1
                } catch {
                    history.unreadable.append((id, error.description))
                }
            case .reviewOpened:
                reviewOpened[id] = record.time
                if let i = index[id] { history.cases[i].outcome.reviewOpenedAt = record.time.timeIntervalSince1970 }
            case .escalated:
                if let i = index[id] { history.cases[i].outcome.escalated = true }
            case .executed:
                guard let i = index[id] else { return }
                history.cases[i].outcome.executed = true
                if record.payload.contains(#""verification":"mismatch"#) { history.cases[i].outcome.verificationMismatch = true }
            case .reviewClosed:
                // A person's vote closes a review under their name; a deadline under `airlock`.
                guard let i = index[id], record.actor != "airlock", record.actor != "policy",
                    case .map(let payload)? = try? Value(json: record.payload), case .string(let outcome)? = payload["outcome"]
                else { return }
                if outcome == "approved" { history.cases[i].outcome.approvedByPerson = true }
                if outcome == "rejected" { history.cases[i].outcome.rejectedByPerson = true }
                if let opened = reviewOpened.removeValue(forKey: id) {
                    history.cases[i].outcome.reviewSeconds = record.time.timeIntervalSince(opened)
                }
            case .rolledBack:
                if let i = index[id] { history.cases[i].outcome.rolledBack = true }
            default:
                break
            }
        }
    }
}
