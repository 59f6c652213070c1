import AirlockCore
import CEL

extension HTTPExecutor {
    /// Calls the compensating request of the change's operation with the before-image as body
    /// and `<mutation id>:rollback` as idempotency key for the first attempt,
    /// `<mutation id>:rollback-<attempt>` for later ones (so that a service that refused an
    /// attempt and stored its answer takes the next one afresh). With a read URL it first checks
    /// that the record is as the change left it (refusing otherwise), and answers
    /// ``RollbackOutcome/rolledBack`` without a call when the record already holds the
    /// before-image.
    public func rollback(_ change: ExecutedChange, attempt: Int) async -> RollbackOutcome {
        guard let endpoint = settings.compensations[change.operation] else {
            return .failed("no compensating request is configured for a \(change.operation) of \(resource)")
        }
        if settings.readURL == nil, let missing = Self.unknownEarlierValues(change) {
            return .refused(missing)
        }
        if settings.readURL != nil {
            let record = await fetch(target: change.target, mutationID: change.mutationID)
            switch (record, change.operation) {
            case (.unavailable(let reason), _):
                return .failed("cannot read record '\(change.target)' to check it is unchanged: \(reason)")
            case (.absent, .create):
                return .rolledBack
            case (.absent, .delete):
                break
            case (.found(let current), .delete):
                if let before = change.beforeImage, ValueMatching.differences(wanted: before, found: current).isEmpty {
                    return .rolledBack
                }
                return .refused("record '\(change.target)' exists again since mutation \(change.mutationID) deleted it")
            case (.absent, .update):
                return .refused("record '\(change.target)' was deleted since mutation \(change.mutationID) changed it")
            case (.found(let current), _):
                let differences = ValueMatching.differences(
                    wanted: change.afterImage ?? CELMap(), found: current, label: "expected")
                if !differences.isEmpty {
                    if change.operation == .update, let before = change.beforeImage,
                        ValueMatching.differences(wanted: before, found: current).isEmpty
                    {
                        return .rolledBack
                    }
                    return .refused(
                        "record '\(change.target)' changed since mutation \(change.mutationID) wrote it ("
                            + differences.joined(separator: "; ") + ")")
                }
            }
        }
        let exchange = await call(
            endpoint, target: change.target, mutationID: change.mutationID,
            body: CanonicalJSON.bytes(.map(change.beforeImage ?? CELMap())), idempotencyKey: Self.compensationKey(mutationID: change.mutationID, attempt: attempt))
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

    /// The `Idempotency-Key` of a compensating request: `<mutation id>:rollback` for the first
    /// attempt, `<mutation id>:rollback-<attempt>` for later ones.
    static func compensationKey(mutationID: String, attempt: Int) -> String {
        attempt <= 1 ? mutationID + ":rollback" : mutationID + ":rollback-\(attempt)"
    }

    /// Without a read URL the before-image is what the mutation's `before` said: why it cannot
    /// restore the record, when it lacks a changed field's earlier value (an update) or the
    /// record's values (a delete). The compensating request would then answer 2xx and restore
    /// nothing.
    static func unknownEarlierValues(_ change: ExecutedChange) -> String? {
        switch change.operation {
        case .create:
            return nil
        case .update:
            let before = change.beforeImage ?? CELMap()
            let unknown = (change.afterImage ?? CELMap()).entries.compactMap { key, _ -> String? in
                guard case .string(let field) = key, before[field] == nil else { return nil }
                return field
            }
            guard !unknown.isEmpty else { return nil }
            return "the earlier values of \(unknown.sorted().joined(separator: ", ")) are unknown (no read URL, and the "
                + "mutation's before did not give them): nothing to restore them with"
        case .delete:
            guard (change.beforeImage?.count ?? 0) == 0 else { return nil }
            return "the deleted record's values are unknown (no read URL, and the mutation's before did not give them)"
        }
    }

    /// Re-sends the request with the same body and idempotency key: a service that had applied
    /// it answers as the first time, one that never got it applies it now. Either way a 2xx
    /// means applied. A 409 or 412 cannot be told apart from "applied, then refused as a
    /// duplicate", so it is ``ReconciliationOutcome/unknown(_:)``; another 4xx means it was not
    /// applied; 5xx and timeouts after every retry are unknown.
    public func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome {
        guard let endpoint = settings.endpoints[request.operation] else { return .notApplied }
        let exchange = await call(
            endpoint, target: request.keys[0], mutationID: request.mutationID, body: CanonicalJSON.bytes(.map(request.changes)),
            idempotencyKey: request.mutationID)
        switch exchange {
        case .answered(let status, _) where (200...299).contains(status):
            let before = request.operation == .create ? nil : (request.before ?? CELMap())
            return .applied(await executedChange(request, before: before))
        case .answered(let status, _) where (400...499).contains(status) && status != 409 && status != 412:
            return .notApplied
        case .answered(let status, let body):
            return .unknown("re-sending \(endpoint.method) \(endpoint.url) answered \(status)\(Self.excerpt(body))")
        case .unreachable(let reason, _):
            return .unknown(reason)
        }
    }
}
