import AirlockCore
import CEL
import Crypto
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension HTTPExecutor {
    /// How a call ended, after its retries.
    enum Exchange: Sendable {
        /// The service answered (the last answer, when every attempt got a 5xx).
        case answered(status: Int, body: Data)
        /// No answer; `transient` when it timed out or could not connect (the call may have
        /// arrived).
        case unreachable(String, transient: Bool)
    }

    /// A record read through the read URL.
    enum RemoteRecord: Sendable {
        case found(CELMap)
        case absent
        case unavailable(String)
    }

    /// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`: the `X-Airlock-Signature`
    /// header a service checks to know the call comes from this gateway.
    public static func signature(of body: [UInt8], secret: [UInt8]) -> String {
        let code = HMAC<Crypto.SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return "sha256=" + Hex.encode(code)
    }

    /// Makes a call, retrying 5xx answers, timeouts and failed connections with capped
    /// exponential backoff; every attempt carries the same body, signature and idempotency key.
    func call(_ endpoint: HTTPEndpoint, target: String, mutationID: String, body: [UInt8]?, idempotencyKey: String?)
        async -> Exchange
    {
        guard let url = endpoint.url(target: target, mutationID: mutationID) else {
            return .unreachable("'\(endpoint.url)' with target '\(target)' is not a URL", transient: false)
        }
        var request = URLRequest(url: url)
        request.httpMethod = endpoint.method
        request.timeoutInterval = Self.seconds(settings.timeout)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue(Self.signature(of: body ?? [], secret: settings.secret), forHTTPHeaderField: "X-Airlock-Signature")
        if let idempotencyKey { request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body)
        }
        var last = Exchange.unreachable("no attempt was made", transient: true)
        for attempt in 1...settings.retry.attempts {
            if attempt > 1 {
                do {
                    try await clock.sleep(for: Self.interval(settings.retry.delay(beforeAttempt: attempt)))
                } catch {
                    return last
                }
            }
            // A service that hangs holds at most `concurrency` calls; the others wait their turn
            // for one timeout, then give up without sending (an earlier attempt may have arrived).
            guard await slots.acquire(within: Self.interval(settings.timeout)) else {
                if attempt > 1 { return last }
                return .unreachable(
                    "\(endpoint.method) \(url.absoluteString): not sent: \(slots.limit) calls to this service were in flight "
                        + "for all of \(DurationWords.text(Self.interval(settings.timeout).rounded(.up))) (the executor's concurrency)",
                    transient: false)
            }
            defer { slots.release() }
            do {
                let (data, response) = try await session.cancellableData(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                last = .answered(status: status, body: data)
                if (500...599).contains(status) { continue }
                return last
            } catch let error as URLError {
                last = .unreachable(
                    "\(endpoint.method) \(url.absoluteString): \(Self.describe(error))", transient: Self.isTransient(error))
                if !Self.isTransient(error) { return last }
            } catch {
                return .unreachable("\(endpoint.method) \(url.absoluteString): \(error)", transient: false)
            }
        }
        return last
    }

    /// Reads a record through the read URL.
    func fetch(target: String, mutationID: String = "") async -> RemoteRecord {
        guard let read = settings.read else { return .unavailable("no read URL is configured") }
        switch await call(read, target: target, mutationID: mutationID, body: nil, idempotencyKey: nil) {
        case .answered(let status, let body) where (200...299).contains(status):
            guard case .map(let map)? = try? Value(json: String(decoding: body, as: UTF8.self)) else {
                return .unavailable("GET \(read.url) did not answer a JSON object")
            }
            return .found(map)
        case .answered(let status, _) where status == 404 || status == 410:
            return .absent
        case .answered(let status, let body):
            return .unavailable("GET \(read.url) answered \(status)\(Self.excerpt(body))")
        case .unreachable(let reason, _):
            return .unavailable(reason)
        }
    }

    /// `: ` and the start of a response body, for messages.
    static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ": " + text
    }

    /// A duration in seconds.
    static func interval(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A duration as URLSession's timeout interval. FoundationNetworking (Linux) truncates the
    /// interval to whole seconds, so a part of a second would time out at once: round it up.
    static func seconds(_ duration: Duration) -> Double {
        let interval = interval(duration)
        #if canImport(FoundationNetworking)
            return max(1, interval.rounded(.up))
        #else
            return interval
        #endif
    }

    private static func isTransient(_ error: URLError) -> Bool {
        switch error.code {
        case .timedOut, .cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet, .cannotFindHost,
            .dnsLookupFailed, .badServerResponse:
            true
        default: false
        }
    }

    private static func describe(_ error: URLError) -> String {
        switch error.code {
        case .timedOut: "timed out"
        case .cannotConnectToHost: "cannot connect"
        default: error.localizedDescription
        }
    }
}
