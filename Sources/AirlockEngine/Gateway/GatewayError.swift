import AirlockCore

/// Why the gateway refused a request: what kind of refusal (which the HTTP layer maps to a
/// status code), a title and a detail for a person, and the individual problems when there are
/// several (validation).
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    /// The kind of refusal. Extensible: match on it only where the kind matters.
    public struct Kind: Sendable, Hashable {
        let raw: String
        /// The request is malformed (400).
        public static let badRequest = Kind(raw: "bad_request")
        /// No or unknown credentials (401).
        public static let unauthenticated = Kind(raw: "unauthenticated")
        /// The principal may not do this (403).
        public static let forbidden = Kind(raw: "forbidden")
        /// No such mutation, policy or route (404).
        public static let notFound = Kind(raw: "not_found")
        /// The request conflicts with the current state (409).
        public static let conflict = Kind(raw: "conflict")
        /// The mutation does not validate (422).
        public static let invalidMutation = Kind(raw: "invalid_mutation")
        /// A policy pack does not check (422).
        public static let invalidPolicy = Kind(raw: "invalid_policy")
        /// The store or another dependency failed (503).
        public static let unavailable = Kind(raw: "unavailable")
        /// The principal is over its rate limit or its open long polls (429).
        public static let tooManyRequests = Kind(raw: "too_many_requests")
    }

    public var kind: Kind
    public var title: String
    public var detail: String
    /// Individual problems, each with where (a field path, or file:line:column) and what.
    public var errors: [(path: String, message: String)]
    /// The mutation the refusal concerns, when one was recorded (an invalid mutation is
    /// recorded as rejected, and its id returned with the errors).
    public var mutation: MutationView?
    /// Seconds after which the request may be tried again (`Retry-After`), when that is known.
    public var retryAfter: Int?

    public init(
        _ kind: Kind, title: String, detail: String, errors: [(path: String, message: String)] = [],
        mutation: MutationView? = nil, retryAfter: Int? = nil
    ) {
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = errors
        self.mutation = mutation
        self.retryAfter = retryAfter
    }

    public var description: String { "\(title): \(detail)" }

    static func forbidden(_ detail: String) -> GatewayError {
        GatewayError(.forbidden, title: "Forbidden", detail: detail)
    }

    static func notFound(_ detail: String) -> GatewayError {
        GatewayError(.notFound, title: "Not found", detail: detail)
    }

    static func conflict(_ detail: String) -> GatewayError {
        GatewayError(.conflict, title: "Conflict", detail: detail)
    }

    static func unavailable(_ error: any Error) -> GatewayError {
        GatewayError(.unavailable, title: "Store unavailable", detail: "\(error)")
    }
}
