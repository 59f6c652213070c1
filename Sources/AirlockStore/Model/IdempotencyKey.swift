import Foundation

/// A client's idempotency key together with a hash of the request it came with.
public struct IdempotencyKey: Sendable, Hashable {
    /// What the key is unique within, e.g. the actor id (a mutation's key is scoped by its actor).
    public var scope: String
    /// The key as the client sent it.
    public var key: String
    /// A hash of the request body, to tell a retry (same body) from a conflicting reuse.
    public var requestHash: String

    /// A key in a scope.
    public init(scope: String, key: String, requestHash: String) {
        self.scope = scope
        self.key = key
        self.requestHash = requestHash
    }
}

/// An idempotency key the store remembers.
public struct IdempotencyRecord: Sendable, Hashable {
    /// The key.
    public var key: IdempotencyKey
    /// The mutation created with it, if any.
    public var mutationID: String?
    /// When it was first used.
    public var createdAt: Date

    /// A record as read from a store.
    public init(key: IdempotencyKey, mutationID: String?, createdAt: Date) {
        self.key = key
        self.mutationID = mutationID
        self.createdAt = createdAt
    }
}
