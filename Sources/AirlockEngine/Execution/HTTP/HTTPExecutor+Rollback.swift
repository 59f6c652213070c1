import AirlockCore
import CEL

extension HTTPExecutor {
    /// What checking one record before its compensating request found.
    enum RecordCheck {
        /// The record is as the change left it: send the compensating request.
        case send
        /// The record already holds its before-image: nothing to send.
        case alreadyRestored
        case refused(String)
        case failed(String)
    }

    /// Calls the compensating request of the change's operation for every record, last first,
    /// with its before-image as body and its compensation key (``compensationKey(mutationID:target:recordCount:attempt:)``:
    /// `<mutation id>:rollback` for a single-record change's first attempt, a new key for each
    /// later attempt). Every record is checked before anything is sent: with a read URL, one that
    /// is not as the change left it refuses the rollback of all (one that already holds its
    /// before-image needs no call); without one, so does a record whose earlier values are
    /// unknown. A compensating request that fails after others succeeded makes the rollback a
    /// failure that names the records restored and those not.
    public func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome {
        guard let endpoint = settings.compensations[change.operation] else {
            return .failed("no compensating request is configured for a \(change.operation) of \(resource)")
        }
        let count = change.records.count
        var pending: [RecordChange] = []
        var refusals: [String] = []
        for record in change.records {
            switch await check(record, operation: change.operation, mutationID: change.mutationID, recordCount: count) {
            case .send: pending.append(record)
            case .alreadyRestored: continue
            case .refused(let why): refusals.append(why)
            case .failed(let why): return .failed(why)
            }
        }
        if !refusals.isEmpty {
            guard count > 1 else { return .refused(refusals[0]) }
            return .refused(
                "\(refusals.count) of \(count) records cannot be restored, so none was: " + refusals.joined(separator: "; "))
        }
        var restored: [String] = []
        for record in pending.reversed() {
            let outcome = await compensate(
                record, operation: change.operation, mutationID: change.mutationID, recordCount: count, attempt: attempt,
                endpoint: endpoint)
            let failure: (why: String, refused: Bool)
            switch outcome {
            case .rolledBack:
                restored.append(record.target)
                continue
            case .refused(let why): failure = (why, true)
            case .failed(let why): failure = (why, false)
            }
            guard count > 1 else { return outcome }
            let which = "record '\(record.target)': \(failure.why)"
            guard !restored.isEmpty else { return failure.refused ? .refused(which) : .failed(which) }
            let untouched = pending.map(\.target).filter { !restored.contains($0) }
            return .failed(
                "\(which); the rollback is partial: \(Self.list(restored)) restored, \(Self.list(untouched)) not")
        }
        return .rolledBack
    }

    /// Whether one record may be restored. Without a read URL the before-image is what the
    /// mutation's `before` said, and it must hold the earlier values; with one the record must be
    /// as the change left it, or already restored.
    func check(_ record: RecordChange, operation: Mutation.Operation, mutationID: String, recordCount: Int) async
        -> RecordCheck
    {
        guard settings.readURL != nil else {
            guard let missing = Self.unknownEarlierValues(operation, record) else { return .send }
            return .refused(recordCount == 1 ? missing : "record '\(record.target)': \(missing)")
        }
        switch (await fetch(target: record.target, mutationID: mutationID), operation) {
        case (.unavailable(let reason), _):
            return .failed("cannot read record '\(record.target)' to check it is unchanged: \(reason)")
        case (.absent, .create):
            return .alreadyRestored
        case (.absent, .delete):
            return .send
        case (.found(let current), .delete):
            if let before = record.beforeImage, ValueMatching.differences(wanted: before, found: current).isEmpty {
                return .alreadyRestored
            }
            return .refused("record '\(record.target)' exists again since mutation \(mutationID) deleted it")
        case (.absent, .update):
            return .refused("record '\(record.target)' was deleted since mutation \(mutationID) changed it")
        case (.found(let current), _):
            let differences = ValueMatching.differences(
                wanted: record.afterImage ?? CELMap(), found: current, label: "expected")
            guard !differences.isEmpty else { return .send }
            if operation == .update, let before = record.beforeImage,
                ValueMatching.differences(wanted: before, found: current).isEmpty
            {
                return .alreadyRestored
            }
            return .refused(
                "record '\(record.target)' changed since mutation \(mutationID) wrote it ("
                    + differences.joined(separator: "; ") + ")")
        }
    }

    /// Sends one record's compensating request.
    func compensate(
        _ record: RecordChange, operation: Mutation.Operation, mutationID: String, recordCount: Int, attempt: Int,
        endpoint: HTTPEndpoint
    ) async -> RollbackOutcome {
        let exchange = await call(
            endpoint, target: record.target, mutationID: mutationID,
            body: CanonicalJSON.bytes(.map(record.beforeImage ?? CELMap())),
            idempotencyKey: Self.compensationKey(
                mutationID: mutationID, target: record.target, recordCount: recordCount, attempt: attempt))
        switch exchange {
        case .answered(let status, _) where (200...299).contains(status):
            return .rolledBack
        case .answered(let status, let body) where status == 409 || status == 412:
            return .refused("\(endpoint.method) \(endpoint.url) answered \(status)\(Self.excerpt(body))")
        case .answered(let status, let body):
            return .failed("\(endpoint.method) \(endpoint.url) answered \(status)\(Self.excerpt(body))")
        case .unreachable(let reason, _):
            return .failed(reason)
        }
    }

    /// Without a read URL the before-image is what the mutation's `before` said: why it cannot
    /// restore the record, when it lacks a changed field's earlier value (an update) or the
    /// record's values (a delete). The compensating request would then answer 2xx and restore
    /// nothing.
    static func unknownEarlierValues(_ operation: Mutation.Operation, _ record: RecordChange) -> String? {
        switch operation {
        case .create:
            return nil
        case .update:
            let before = record.beforeImage ?? CELMap()
            let unknown = (record.afterImage ?? CELMap()).entries.compactMap { key, _ -> String? in
                guard case .string(let field) = key, before[field] == nil else { return nil }
                return field
            }
            guard !unknown.isEmpty else { return nil }
            return "the earlier values of \(unknown.sorted().joined(separator: ", ")) are unknown (no read URL, and the "
                + "mutation's before did not give them): nothing to restore them with"
        case .delete:
            guard (record.beforeImage?.count ?? 0) == 0 else { return nil }
            return "the deleted record's values are unknown (no read URL, and the mutation's before did not give them)"
        }
    }

    /// Record keys for a message: `'a', 'b'`.
    static func list(_ keys: [String]) -> String {
        keys.map { "'\($0)'" }.joined(separator: ", ")
    }
}
