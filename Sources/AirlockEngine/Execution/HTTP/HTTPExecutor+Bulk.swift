import AirlockCore
import CEL

extension HTTPExecutor {
    /// The outcome of a bulk change whose record at `index` failed, after the records before it
    /// were applied.
    ///
    /// A refusal (409, 412, another 4xx, a request that cannot be made) is final: the applied
    /// records are compensated, and the outcome says so, or says which compensation failed. A
    /// record whose fate is unknown (5xx or no answer after every retry) compensates nothing: its
    /// request may yet take effect, and compensating would burn the applied records' keys.
    /// The outcome is then a retryable failure, and ``reconcile(_:)`` re-sends every record under
    /// its key, completing the change or compensating it.
    func bulkFailure(
        _ failure: ExecutionOutcome, at index: Int, of keys: [String], applied: [RecordChange], request: ExecutionRequest
    ) async -> ExecutionOutcome {
        let which = "record '\(keys[index])' (\(index + 1) of \(keys.count))"
        let unsent = keys.count - index - 1
        let later =
            unsent == 0 ? "" : "; not sent: " + (unsent == 1 ? "the record after it" : "the \(unsent) records after it")
        switch failure {
        case .failed(let reason, retryable: true):
            let earlier = applied.isEmpty ? "" : "; applied before it: \(Self.list(applied.map(\.target)))"
            return .failed(
                "\(which): \(reason); it may have been applied\(earlier)\(later); reconciliation re-sends every record "
                    + "under its idempotency key",
                retryable: true)
        case .conflict(let reason):
            let note = await compensate(applied: applied, of: request).note
            return .conflict("\(which): \(reason); \(note)\(later)")
        case .failed(let reason, _):
            let note = await compensate(applied: applied, of: request).note
            return .failed("\(which): \(reason); \(note)\(later)", retryable: false)
        case .executed, .deferredToCaller:
            return failure
        }
    }

    /// Undoes the records of a bulk change applied before another record was refused, last
    /// first, each checked and compensated as a rollback would (first attempt). `complete` is
    /// false when a compensation failed; `note` says what was done, for the outcome's reason.
    func compensate(applied: [RecordChange], of request: ExecutionRequest) async -> (complete: Bool, note: String) {
        guard !applied.isEmpty else { return (true, "no record before it had been applied") }
        let (count, operation, mutationID) = (request.keys.count, request.operation, request.mutationID)
        var compensated: [String] = []
        var failures: [String] = []
        for record in applied.reversed() {
            let outcome: RollbackOutcome
            if let endpoint = settings.compensations[request.operation] {
                switch await check(record, operation: operation, mutationID: mutationID, recordCount: count) {
                case .send:
                    outcome = await compensate(
                        record, operation: operation, mutationID: mutationID, recordCount: count, attempt: 1,
                        endpoint: endpoint)
                case .alreadyRestored: outcome = .rolledBack
                case .refused(let why): outcome = .refused(why)
                case .failed(let why): outcome = .failed(why)
                }
            } else {
                outcome = .failed("no compensating request is configured for a \(request.operation) of \(resource)")
            }
            switch outcome {
            case .rolledBack: compensated.append(record.target)
            case .refused(let why), .failed(let why): failures.append("record '\(record.target)' (\(why))")
            }
        }
        var parts: [String] = []
        if !compensated.isEmpty {
            parts.append("the records applied before it were compensated: \(Self.list(compensated.reversed()))")
        }
        if !failures.isEmpty {
            parts.append(
                "COMPENSATION FAILED for " + failures.reversed().joined(separator: ", ")
                    + ": still changed, a person must restore \(failures.count == 1 ? "it" : "them")")
        }
        return (failures.isEmpty, parts.joined(separator: "; "))
    }
}
