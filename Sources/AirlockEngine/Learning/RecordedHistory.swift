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

    /// Reads the decisions made at or after `since` and every later record about them. Each page
    /// of records is folded in order, and its decisions read back in `tasks` concurrent tasks.
    public static func read(
        from store: any Store, since: Date, pageSize: Int = 10_000, tasks: Int = ProcessInfo.processInfo.activeProcessorCount
    ) async throws -> RecordedHistory {
        let (history, reader) = try await fold(from: store, since: since, pageSize: pageSize) { reader, history in
            await reader.readDecisions(into: &history, tasks: tasks)
        }
        var read = history
        for i in read.cases.indices {
            if let outcome = reader.outcomes[read.cases[i].mutationID] { read.cases[i].outcome = outcome }
        }
        return read
    }

    /// The decisions of the window decided again under `candidate` as each page is read (in
    /// `tasks` concurrent tasks), without keeping them: the history holds no cases (only the
    /// records read and what could not be read back), the report is the one ``Replay`` gives for
    /// ``read(from:since:pageSize:tasks:)``'s cases, outcomes included, and `replaySeconds` is the
    /// time spent reading decisions back and deciding them again (the rest is the store's).
    public static func replay(
        from store: any Store, since: Date, candidate: PolicyEngine, pageSize: Int = 10_000,
        tasks: Int = ProcessInfo.processInfo.activeProcessorCount
    ) async throws -> (history: RecordedHistory, report: ReplayReport, replaySeconds: Double) {
        var report = ReplayReport(candidateName: candidate.pack.name, candidateVersion: candidate.pack.version)
        var elapsed = Duration.zero
        let clock = ContinuousClock()
        let (history, reader) = try await fold(from: store, since: since, pageSize: pageSize) { reader, history in
            guard !reader.decided.isEmpty else { return }
            let payloads = reader.decided
            reader.decided = []
            let started = clock.now
            let (part, unreadable) = await Replay.run(payloads, candidate: candidate, tasks: tasks)
            elapsed += clock.now - started
            report.merge(part)
            for (id, reason) in unreadable {
                reader.outcomes[id] = nil
                history.unreadable.append((id, reason))
            }
        }
        report.attach(outcomes: reader.outcomes)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (history, report, seconds)
    }

    /// Folds the records of the window into a history page by page, handing each page's
    /// decisions to `decisions` before the next page is read.
    private static func fold(
        from store: any Store, since: Date, pageSize: Int,
        decisions: (inout Reader, inout RecordedHistory) async -> Void
    ) async throws -> (RecordedHistory, Reader) {
        var history = RecordedHistory()
        var reader = Reader()
        guard let first = try await store.firstAuditSeq(atOrAfter: since) else { return (history, reader) }
        var after = first - 1
        while true {
            let page = try await store.auditRecords(after: after, limit: pageSize)
            guard let last = page.last else { break }
            for record in page { reader.read(record, into: &history) }
            await decisions(&reader, &history)
            history.records += page.count
            after = last.seq
            if page.count < pageSize { break }
        }
        return (history, reader)
    }

    /// Folds records into a history, one at a time, in log order: decisions wait in `decided`
    /// until ``readDecisions(into:tasks:)`` reads them back; what followed each is kept apart.
    struct Reader {
        /// Submissions waiting for their decision (the next record, in the same commit).
        var submitted: [String: String] = [:]
        /// Decisions of the page not read back yet.
        var decided: [RecordedCase.Payloads] = []
        /// What became of each decided mutation.
        var outcomes: [String: RecordedCase.Outcome] = [:]
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
                decided.append(RecordedCase.Payloads(mutationID: id, submitted: document, decided: record.payload))
                outcomes[id] = RecordedCase.Outcome()
            case .reviewOpened:
                reviewOpened[id] = record.time
                outcomes[id]?.reviewOpenedAt = record.time.timeIntervalSince1970
            case .escalated:
                outcomes[id]?.escalated = true
            case .executed:
                outcomes[id]?.executed = true
                if record.payload.contains(#""verification":"mismatch"#) { outcomes[id]?.verificationMismatch = true }
            case .reviewClosed:
                // A person's vote closes a review under their name; a deadline under `airlock`.
                guard outcomes[id] != nil, record.actor != "airlock", record.actor != "policy",
                    case .map(let payload)? = try? Value(json: record.payload), case .string(let outcome)? = payload["outcome"]
                else { return }
                if outcome == "approved" { outcomes[id]?.approvedByPerson = true }
                if outcome == "rejected" { outcomes[id]?.rejectedByPerson = true }
                if let opened = reviewOpened.removeValue(forKey: id) {
                    outcomes[id]?.reviewSeconds = record.time.timeIntervalSince(opened)
                }
            case .rolledBack:
                outcomes[id]?.rolledBack = true
            default:
                break
            }
        }

        /// Reads back the decisions folded so far, in order.
        mutating func readDecisions(into history: inout RecordedHistory, tasks: Int) async {
            guard !decided.isEmpty else { return }
            let payloads = decided
            decided = []
            for (payload, result) in zip(payloads, await RecordedCase.read(payloads, tasks: tasks)) {
                switch result {
                case .success(let recorded):
                    history.cases.append(recorded)
                case .failure(let error):
                    outcomes[payload.mutationID] = nil
                    history.unreadable.append((payload.mutationID, error.description))
                }
            }
        }
    }
}
