import AirlockCore
import Crypto
import Foundation

/// A mutation as the store keeps it.
public struct MutationRecord: Sendable, Hashable {
    /// The mutation's id (chosen by the engine).
    public var id: String
    /// Where it stands in its lifecycle.
    public var status: MutationStatus
    /// The risk tier decided by policy (`low`, `medium`, `high`, `block`), once decided.
    public var tier: String?
    /// The resource it changes, e.g. `payments.transfer`.
    public var resource: String
    /// The operation, e.g. `create`.
    public var operation: String
    /// The principal that proposed it.
    public var actorID: String
    /// The policy version (hash) that decided it, once decided.
    public var policyVersion: String?
    /// Canonical JSON text of the mutation as submitted.
    public var document: String
    /// Canonical JSON text of the decision (tier, score, reasons, approvals), once decided.
    public var decision: String?
    /// SHA-256 of `document`'s UTF-8 bytes, in hex: what a vote says it saw.
    public var contentHash: String
    /// The idempotency key it was submitted with, if any.
    public var idempotencyKey: String?
    /// The hash of the request body that came with `idempotencyKey`.
    public var requestHash: String?
    /// When it was received.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// How many transitions it went through: 0 when received.
    public var revision: Int
    /// Canonical JSON text of the target's values read at triage (`{field: value}`): what the
    /// decision saw and execution holds as preconditions; `nil` when none were read or sent.
    public var beforeValues: String?
    /// How many rollbacks were started (each attempt has its own compensating key).
    public var rollbackAttempts: Int
    /// The mutation this one revises (a reviewer asked for changes to it), if any.
    public var revisionOf: String?
    /// The revision that replaced this one, once a reviewer asked for changes.
    public var supersededBy: String?
    /// The reviewer who wrote this revision's values (with ``revisionOf``).
    public var revisedBy: String?

    /// A record as read from a store.
    public init(
        id: String, status: MutationStatus, tier: String?, resource: String, operation: String, actorID: String,
        policyVersion: String?, document: String, decision: String?, contentHash: String, idempotencyKey: String?,
        requestHash: String?, createdAt: Date, updatedAt: Date, revision: Int, beforeValues: String? = nil,
        rollbackAttempts: Int = 0, revisionOf: String? = nil, supersededBy: String? = nil, revisedBy: String? = nil
    ) {
        self.revisedBy = revisedBy
        self.beforeValues = beforeValues
        self.rollbackAttempts = rollbackAttempts
        self.revisionOf = revisionOf
        self.supersededBy = supersededBy
        self.id = id
        self.status = status
        self.tier = tier
        self.resource = resource
        self.operation = operation
        self.actorID = actorID
        self.policyVersion = policyVersion
        self.document = document
        self.decision = decision
        self.contentHash = contentHash
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revision = revision
    }
}

/// A mutation to store; it starts as `received`.
public struct NewMutation: Sendable, Hashable {
    /// The mutation's id (chosen by the engine, unique).
    public var id: String
    /// The resource it changes.
    public var resource: String
    /// The operation.
    public var operation: String
    /// The principal that proposed it.
    public var actorID: String
    /// Canonical JSON text of the mutation as submitted.
    public var document: String
    /// The idempotency key and request hash it came with; the key is reserved in its scope (use
    /// the actor id) in the same transaction, and a reuse is refused with
    /// ``StoreError/Code/idempotencyConflict``.
    public var idempotency: IdempotencyKey?
    /// The hash of ``document`` (``MutationRecord/contentHash(ofDocument:)``), computed once.
    public var contentHash: String
    /// The mutation this one revises, when it is a reviewer's requested change.
    public var revisionOf: String?
    /// The reviewer who wrote the revision's values.
    public var revisedBy: String?

    /// A mutation to store.
    public init(
        id: String, resource: String, operation: String, actorID: String, document: String,
        idempotency: IdempotencyKey? = nil, revisionOf: String? = nil, revisedBy: String? = nil, contentHash: String? = nil
    ) {
        self.contentHash = contentHash ?? MutationRecord.contentHash(ofDocument: document)
        self.revisionOf = revisionOf
        self.revisedBy = revisedBy
        self.id = id
        self.resource = resource
        self.operation = operation
        self.actorID = actorID
        self.document = document
        self.idempotency = idempotency
    }
}

/// Fields a transition may set along with the new status; `nil` leaves a field as it is.
public struct MutationUpdate: Sendable, Hashable {
    /// The tier decided by policy.
    public var tier: String?
    /// The policy version that decided.
    public var policyVersion: String?
    /// Canonical JSON text of the decision.
    public var decision: String?
    /// Canonical JSON text of the target's values read at triage.
    public var beforeValues: String?
    /// The revision that replaces the mutation (with a move to `superseded`).
    public var supersededBy: String?

    /// Fields to set; none by default.
    public init(
        tier: String? = nil, policyVersion: String? = nil, decision: String? = nil, beforeValues: String? = nil,
        supersededBy: String? = nil
    ) {
        self.beforeValues = beforeValues
        self.supersededBy = supersededBy
        self.tier = tier
        self.policyVersion = policyVersion
        self.decision = decision
    }
}

extension MutationRecord {
    /// The content hash of a mutation's document: hex SHA-256 of its text, as stored
    /// (``contentHash``) and as a vote names what its reviewer saw.
    public static func contentHash(ofDocument document: String) -> String {
        Hex.encode(Crypto.SHA256.hash(data: Data(document.utf8)))
    }
}
