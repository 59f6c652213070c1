import AirlockCore
import CEL
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Applies mutations by calling the service that owns the data.
///
/// Each operation is a configured request (method and URL template) with the changes as its JSON
/// body, the mutation id as `Idempotency-Key` (the service must answer a repeat with its first
/// answer) and an `X-Airlock-Signature: sha256=<hex HMAC-SHA256 of the body>` header. 5xx
/// answers, timeouts and failed connections are retried with capped exponential backoff; 409 and
/// 412 are conflicts; any other 4xx is a failure, not retried. With a read URL the executor
/// checks preconditions before calling, verifies afterwards, and refuses a rollback when the
/// record changed since; a rollback calls the configured compensating request.
public final class HTTPExecutor: Executor {
    /// The resource this executor applies.
    public let resource: String
    /// What it calls.
    public let settings: HTTPExecutorSettings
    let session: URLSession
    let sleep: @Sendable (Duration) async throws -> Void

    /// An executor; `sleep` waits between retries (tests pass one that returns at once).
    public init(
        resource: String, settings: HTTPExecutorSettings,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.resource = resource
        self.settings = settings
        self.sleep = sleep
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.seconds(settings.timeout)
        configuration.httpAdditionalHeaders = ["User-Agent": "airlock"]
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    /// False for now: it applies one record per mutation.
    public var supportsBulk: Bool { false }

    public var canRead: Bool { settings.readURL != nil }

    public func read(target: String) async -> CELMap? {
        if case .found(let record) = await fetch(target: target) { return record }
        return nil
    }

    public func apply(_ request: ExecutionRequest) async -> ExecutionOutcome {
        guard let endpoint = settings.endpoints[request.operation] else {
            return .failed("no \(request.operation) request is configured for \(resource)", retryable: false)
        }
        let key = request.keys[0]
        var before = request.before ?? CELMap()
        if request.operation != .create, settings.readURL != nil {
            switch await fetch(target: key, mutationID: request.mutationID) {
            case .unavailable(let reason):
                // Nothing was sent: not a retryable failure, which reconciliation would settle by
                // sending the request with no precondition checked.
                return .failed(
                    "cannot read the current values to check the preconditions (nothing was sent): \(reason)",
                    retryable: false)
            case .absent:
                return .conflict("the service has no record '\(key)'")
            case .found(let current):
                let differences = ValueMatching.differences(wanted: before, found: current, label: "decided on")
                if !differences.isEmpty {
                    return .conflict("the record changed since the decision: " + differences.joined(separator: "; "))
                }
                before = current
            }
        }
        let exchange = await call(
            endpoint, target: key, mutationID: request.mutationID, body: CanonicalJSON.bytes(.map(request.changes)),
            idempotencyKey: request.mutationID)
        switch exchange {
        case .answered(let status, _) where (200...299).contains(status):
            return .executed(await executedChange(request, before: request.operation == .create ? nil : before))
        case .answered(let status, let body) where status == 409 || status == 412:
            return .conflict("\(endpoint.method) \(endpoint.url) answered \(status)\(Self.excerpt(body))")
        case .answered(let status, let body):
            return .failed(
                "\(endpoint.method) \(endpoint.url) answered \(status)\(Self.excerpt(body))",
                retryable: (500...599).contains(status))
        case .unreachable(let reason, let transient):
            return .failed(reason, retryable: transient)
        }
    }

    /// Calls the read URL and compares the record with the requested changes; a deleted record
    /// must be gone (404).
    public func verify(_ request: ExecutionRequest, change: ExecutedChange) async -> VerificationOutcome {
        guard settings.readURL != nil else { return .unverifiable("no read URL is configured for \(resource)") }
        let record = await fetch(target: change.target, mutationID: change.mutationID)
        switch (record, request.operation) {
        case (.unavailable(let reason), _): return .unverifiable(reason)
        case (.absent, .delete): return .matches
        case (.found, .delete): return .mismatch("record '\(change.target)' still exists after its delete")
        case (.absent, _): return .mismatch("record '\(change.target)' is missing")
        case (.found(let current), _):
            let differences = ValueMatching.differences(wanted: request.changes, found: current)
            return differences.isEmpty
                ? .matches : .mismatch("record '\(change.target)' differs: " + differences.joined(separator: "; "))
        }
    }

    /// The images of an applied request: after, read back when possible, else the before values
    /// with the changes laid over them.
    func executedChange(_ request: ExecutionRequest, before: CELMap?) async -> ExecutedChange {
        var after: CELMap?
        if request.operation != .delete {
            if settings.readURL != nil,
                case .found(let record) = await fetch(target: request.keys[0], mutationID: request.mutationID)
            {
                after = record
            } else {
                var merged = before ?? CELMap()
                for (key, value) in request.changes.entries { merged[key] = value }
                after = merged
            }
        }
        return ExecutedChange(
            mutationID: request.mutationID, resource: request.resource, operation: request.operation, target: request.keys[0],
            beforeImage: before, afterImage: after)
    }
}
