import AirlockCore

/// What an ``HTTPExecutor`` calls, how it signs and how patiently it retries.
public struct HTTPExecutorSettings: Sendable {
    /// The request that applies each operation; an operation without one fails.
    public var endpoints: [Mutation.Operation: HTTPEndpoint]
    /// A URL template answering `GET` with the record as a JSON object (404 when there is none):
    /// used to read `before` values, check preconditions, verify and guard rollbacks.
    public var readURL: String?
    /// The compensating request that undoes each operation; it gets the before-image as its
    /// JSON body (`{}` for a create).
    public var compensations: [Mutation.Operation: HTTPEndpoint]
    /// The HMAC-SHA256 key of the `X-Airlock-Signature` header.
    public var secret: [UInt8]
    /// How long one call may take.
    public var timeout: Duration
    /// Retries of 5xx answers and timeouts.
    public var retry: RetryPolicy
    /// Calls in flight to the service at once; a call past them waits its turn for one
    /// ``timeout``, then fails without being sent.
    public var concurrency: Int

    public init(
        endpoints: [Mutation.Operation: HTTPEndpoint], readURL: String? = nil,
        compensations: [Mutation.Operation: HTTPEndpoint] = [:], secret: [UInt8], timeout: Duration = .seconds(10),
        retry: RetryPolicy = RetryPolicy(), concurrency: Int = HTTPExecutorSettings.defaultConcurrency
    ) {
        self.endpoints = endpoints
        self.readURL = readURL
        self.compensations = compensations
        self.secret = secret
        self.timeout = timeout
        self.retry = retry
        self.concurrency = max(1, concurrency)
    }

    /// Calls in flight to one service at once, unless configured.
    public static let defaultConcurrency = 16

    /// The read call, when configured.
    var read: HTTPEndpoint? { readURL.map { HTTPEndpoint(method: "GET", url: $0) } }
}
