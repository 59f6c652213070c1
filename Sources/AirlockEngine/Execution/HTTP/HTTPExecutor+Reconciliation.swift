import AirlockCore
import CEL

extension HTTPExecutor {
    /// Re-sends the request of every record, in order, with the same body and idempotency key:
    /// a service that had applied one answers as the first time, one that never got it applies it
    /// now. Either way a 2xx means applied, and the change is applied when every record is. A 409
    /// or 412 cannot be told apart from "applied, then refused as a duplicate", so it is
    /// ``ReconciliationOutcome/unknown(_:)``; another 4xx means that record was not applied (the
    /// records before it, which were, are compensated); 5xx and timeouts after every retry are
    /// unknown. Records after one that is not applied are not sent.
    public func reconcile(_ request: ExecutionRequest) async -> ReconciliationOutcome {
        guard let endpoint = settings.endpoints[request.operation] else { return .notApplied }
        let keys = request.keys
        let body = CanonicalJSON.bytes(.map(request.changes))
        let before = request.operation == .create ? nil : (request.before ?? CELMap())
        var applied: [RecordChange] = []
        for (index, key) in keys.enumerated() {
            let which = keys.count == 1 ? "" : "record '\(key)' (\(index + 1) of \(keys.count)): "
            let resent = "\(which)re-sending \(endpoint.method) \(endpoint.url)"
            let exchange = await call(
                endpoint, target: key, mutationID: request.mutationID, body: body,
                idempotencyKey: Self.idempotencyKey(mutationID: request.mutationID, target: key, recordCount: keys.count))
            switch exchange {
            case .answered(let status, _) where (200...299).contains(status):
                applied.append(await recordChange(request, key: key, before: before))
            case .answered(let status, let body) where (400...499).contains(status) && status != 409 && status != 412:
                guard !applied.isEmpty else { return .notApplied }
                let (complete, note) = await compensate(applied: applied, of: request)
                if complete { return .notApplied }
                return .unknown("\(resent) answered \(status)\(Self.excerpt(body)); \(note)")
            case .answered(let status, let body):
                return .unknown("\(resent) answered \(status)\(Self.excerpt(body))")
            case .unreachable(let reason, _):
                return .unknown(which + reason)
            }
        }
        return .applied(
            ExecutedChange(
                mutationID: request.mutationID, resource: request.resource, operation: request.operation, records: applied))
    }
}
