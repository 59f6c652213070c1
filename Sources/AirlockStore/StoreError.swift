import AirlockCore

/// Why the store refused or failed an operation.
///
/// A struct around an extensible code, so that new reasons can be added without breaking callers:
/// match on ``code`` (`error.code == .statusMismatch`); show ``message`` to people.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case notFound = "not_found"
            case alreadyExists = "already_exists"
            case transitionNotAllowed = "transition_not_allowed"
            case statusMismatch = "status_mismatch"
            case duplicateVote = "duplicate_vote"
            case requesterCannotVote = "requester_cannot_vote"
            case reviewNotOpen = "review_not_open"
            case votesChanged = "votes_changed"
            case idempotencyConflict = "idempotency_conflict"
            case policyConflict = "policy_conflict"
            case schemaTooNew = "schema_too_new"
            case schemaTooOld = "schema_too_old"
            case unavailable
            case databaseMissing = "database_missing"
            case signingKeyUnavailable = "signing_key_unavailable"
            case noCheckpoint = "no_checkpoint"
            case invalidArgument = "invalid_argument"
            case corrupted
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The database's schema is older than this build's, and this store does not migrate by
        /// itself (`airlock migrate` does).
        public static let schemaTooOld = Code(.schemaTooOld)
        /// The database cannot be reached or refused the work (a connection lost, a server
        /// shutting down); nothing of the change was committed.
        public static let unavailable = Code(.unavailable)
        /// No mutation, review, policy version or record with that id.
        public static let notFound = Code(.notFound)
        /// Something with that id already exists (a mutation, a review).
        public static let alreadyExists = Code(.alreadyExists)
        /// The lifecycle does not allow this move at all (`rejected → approved`).
        public static let transitionNotAllowed = Code(.transitionNotAllowed)
        /// The mutation is not in the status the caller expected (it moved meanwhile, or the call
        /// is a repeat: executing twice).
        public static let statusMismatch = Code(.statusMismatch)
        /// This reviewer already voted on this mutation.
        public static let duplicateVote = Code(.duplicateVote)
        /// The mutation's own requester tried to vote on it.
        public static let requesterCannotVote = Code(.requesterCannotVote)
        /// The review is closed (or there is no open review to escalate).
        public static let reviewNotOpen = Code(.reviewNotOpen)
        /// The review's votes are not the ones the caller settled from: another vote landed
        /// meanwhile. Read them again and settle anew.
        public static let votesChanged = Code(.votesChanged)
        /// The idempotency key was used before; see ``StoreError/existingMutationID`` and
        /// ``StoreError/requestMatches``.
        public static let idempotencyConflict = Code(.idempotencyConflict)
        /// A policy version with that hash exists with different text, or is unknown.
        public static let policyConflict = Code(.policyConflict)
        /// The database was written by a newer Airlock.
        public static let schemaTooNew = Code(.schemaTooNew)
        /// There is no database where one was expected (read-only opening).
        public static let databaseMissing = Code(.databaseMissing)
        /// The audit signing key cannot be read or created.
        public static let signingKeyUnavailable = Code(.signingKeyUnavailable)
        /// No signed checkpoint covers the record yet.
        public static let noCheckpoint = Code(.noCheckpoint)
        /// An argument is out of range or malformed.
        public static let invalidArgument = Code(.invalidArgument)
        /// The stored data is not what the store wrote (see `airlock audit verify`).
        public static let corrupted = Code(.corrupted)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened and what a person can do about it.
    public let message: String
    /// The mutation concerned, if any.
    public var mutationID: String?
    /// The mutation's status when a transition was refused.
    public var currentStatus: MutationStatus?
    /// For ``Code/idempotencyConflict``: the mutation the key was first used for.
    public var existingMutationID: String?
    /// For ``Code/idempotencyConflict``: whether the request body hash is the same as the first
    /// time (a retry, answer with the existing mutation) or not (a conflicting reuse of the key).
    public var requestMatches: Bool?

    /// An error with a code and a message.
    public init(_ code: Code, _ message: String, mutationID: String? = nil) {
        self.code = code
        self.message = message
        self.mutationID = mutationID
    }

    public var description: String { message }
}
