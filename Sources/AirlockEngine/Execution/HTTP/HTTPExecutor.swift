import AirlockCore
import CEL
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Applies mutations by calling the service that owns the data.
///
/// Each operation is a configured request (method and URL template) with the changes as its JSON
/// body, an `Idempotency-Key` (the mutation id; per record in bulk, see
/// ``idempotencyKey(mutationID:target:recordCount:)``), which the service must answer a repeat of
/// with its first answer, and an `X-Airlock-Signature: sha256=<hex HMAC-SHA256 of the body>`
/// header. 5xx answers, timeouts and failed connections are retried with capped exponential
/// backoff; 409 and 412 are conflicts; any other 4xx is a failure, not retried. With a read URL
/// the executor checks preconditions before calling, verifies afterwards, and refuses a rollback
/// when the record changed since; a rollback calls the configured compensating request.
public final class HTTPExecutor: Executor {
    /// The resource this executor applies.
    public let resource: String
    /// What it calls.
    public let settings: HTTPExecutorSettings
    let session: URLSession
    /// The calls in flight to the service (``HTTPExecutorSettings/concurrency``).
    let slots: CallSlots
    /// What the waits between retries sleep on: the gateway's clock.
    let clock: any GatewayClock

    /// An executor that waits between retries on `clock` (the gateway's; tests pass one that
    /// returns at once).
    public init(resource: String, settings: HTTPExecutorSettings, clock: any GatewayClock = SystemClock()) {
        self.resource = resource
        self.settings = settings
        self.clock = clock
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.seconds(settings.timeout)
        configuration.httpAdditionalHeaders = ["User-Agent": "airlock"]
        configuration.httpMaximumConnectionsPerHost = settings.concurrency
        session = URLSession(configuration: configuration)
        slots = CallSlots(limit: settings.concurrency)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    /// True: each record is applied under its own idempotency key, and a record that fails has
    /// the records applied before it compensated.
    public var supportsBulk: Bool { true }

    public var canRead: Bool { settings.readURL != nil }

    public func read(target: String) async -> CELMap? {
        if case .found(let record) = await fetch(target: target) { return record }
        return nil
    }

    /// Applies the records one by one, each under its own idempotency key, after checking every
    /// record's preconditions (a conflict sends nothing). When a record is refused, the records
    /// applied before it are compensated and the outcome says so; when a record's fate is unknown
    /// (5xx or no answer after every retry), the outcome is a retryable failure that
    /// ``reconcile(_:)`` settles.
    public func apply(_ request: ExecutionRequest) async -> ExecutionOutcome {
        guard let endpoint = settings.endpoints[request.operation] else {
            return .failed("no \(request.operation) request is configured for \(resource)", retryable: false)
        }
        let keys = request.keys
        if let repeated = request.repeatedKey {
            return .failed("record '\(repeated)' is listed twice", retryable: false)
        }
        let befores: [CELMap?]
        switch await checkPreconditions(request, keys: keys) {
        case .hold(let images): befores = images
        case .fail(let outcome): return outcome
        }
        let body = CanonicalJSON.bytes(.map(request.changes))
        var applied: [RecordChange] = []
        for (index, key) in keys.enumerated() {
            let exchange = await call(
                endpoint, target: key, mutationID: request.mutationID, body: body,
                idempotencyKey: Self.idempotencyKey(mutationID: request.mutationID, target: key, recordCount: keys.count))
            let failure: ExecutionOutcome
            switch exchange {
            case .answered(let status, _) where (200...299).contains(status):
                applied.append(await recordChange(request, key: key, before: befores[index]))
                continue
            case .answered(let status, let body) where status == 409 || status == 412:
                failure = .conflict("\(endpoint.method) \(endpoint.url) answered \(status)\(Self.excerpt(body))")
            case .answered(let status, let body):
                failure = .failed(
                    "\(endpoint.method) \(endpoint.url) answered \(status)\(Self.excerpt(body))",
                    retryable: (500...599).contains(status))
            case .unreachable(let reason, let transient):
                failure = .failed(reason, retryable: transient)
            }
            guard keys.count > 1 else { return failure }
            return await bulkFailure(failure, at: index, of: keys, applied: applied, request: request)
        }
        return .executed(
            ExecutedChange(
                mutationID: request.mutationID, resource: request.resource, operation: request.operation, records: applied))
    }

    /// Calls the read URL for every record and compares it with the requested changes; a deleted
    /// record must be gone (404).
    public func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
        guard settings.readURL != nil else { return .unverifiable("no read URL is configured for \(resource)") }
        var mismatches: [String] = []
        for record in change.records {
            switch (await fetch(target: record.target, mutationID: change.mutationID), request.operation) {
            case (.unavailable(let reason), _):
                return .unverifiable(change.isBulk ? "record '\(record.target)': \(reason)" : reason)
            case (.absent, .delete): continue
            case (.found, .delete): mismatches.append("record '\(record.target)' still exists after its delete")
            case (.absent, _): mismatches.append("record '\(record.target)' is missing")
            case (.found(let current), _):
                let differences = ValueMatching.differences(wanted: request.changes, found: current)
                if !differences.isEmpty {
                    mismatches.append("record '\(record.target)' differs: " + differences.joined(separator: "; "))
                }
            }
        }
        return mismatches.isEmpty ? .matches : .mismatch(mismatches.joined(separator: "; "))
    }

    /// Whether every record may be sent, with its before-image; or why none is.
    private enum Preconditions {
        case hold([CELMap?])
        case fail(ExecutionOutcome)
    }

    /// With a read URL, reads every record of an update or delete and checks the `before` values
    /// against it (its values become the before-image); without one, the before-image is the
    /// `before` the decision saw. Nothing is sent unless every record passes.
    private func checkPreconditions(_ request: ExecutionRequest, keys: [String]) async -> Preconditions {
        guard request.operation != .create else { return .hold(Array(repeating: nil, count: keys.count)) }
        let given = request.before ?? CELMap()
        guard settings.readURL != nil else { return .hold(Array(repeating: given, count: keys.count)) }
        var befores: [CELMap?] = []
        var conflicts: [String] = []
        for key in keys {
            switch await fetch(target: key, mutationID: request.mutationID) {
            case .unavailable(let reason):
                // Nothing was sent: not a retryable failure, which reconciliation would settle by
                // sending the request with no precondition checked.
                let which = keys.count == 1 ? "" : " of record '\(key)'"
                return .fail(
                    .failed(
                        "cannot read the current values\(which) to check the preconditions (nothing was sent): \(reason)",
                        retryable: false))
            case .absent:
                conflicts.append("the service has no record '\(key)'")
                befores.append(nil)
            case .found(let current):
                let differences = ValueMatching.differences(wanted: given, found: current, label: "decided on")
                if !differences.isEmpty {
                    let which = keys.count == 1 ? "" : "record '\(key)': "
                    conflicts.append(which + "the record changed since the decision: " + differences.joined(separator: "; "))
                }
                befores.append(current)
            }
        }
        guard !conflicts.isEmpty else { return .hold(befores) }
        guard keys.count > 1 else { return .fail(.conflict(conflicts[0])) }
        return .fail(
            .conflict(
                "\(conflicts.count) of \(keys.count) records fail their preconditions, so nothing was sent: "
                    + conflicts.joined(separator: "; ")))
    }

    /// The images of an applied record: after, read back when possible, else the before values
    /// with the changes laid over them.
    func recordChange(_ request: ExecutionRequest, key: String, before: CELMap?) async -> RecordChange {
        var after: CELMap?
        if request.operation != .delete {
            if settings.readURL != nil, case .found(let record) = await fetch(target: key, mutationID: request.mutationID) {
                after = record
            } else {
                var merged = before ?? CELMap()
                for (field, value) in request.changes.entries { merged[field] = value }
                after = merged
            }
        }
        return RecordChange(target: key, beforeImage: before, afterImage: after)
    }
}
