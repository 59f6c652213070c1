/// Where a mutation stands in its lifecycle.
///
/// The raw values are the snake_case names the HTTP API, the store and the audit log use.
/// The allowed moves between statuses are in `MutationStatus+Transitions.swift`; the store refuses
/// every other move.
public enum MutationStatus: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// Accepted by the gateway; triage and policy have not decided yet.
    case received
    /// Held until the required approvals arrive (tier `high`).
    case pendingReview = "pending_review"
    /// Allowed to run: by policy (tier `low`/`medium`) or by its reviewers.
    case approved
    /// Handed to the executor. Durable before the executor is called (write-ahead), so a crash is
    /// reconciled on restart rather than repeated.
    case executing
    /// Applied and verified.
    case executed
    /// The executor, the verification or a rollback failed; needs a person.
    case failed
    /// Refused: invalid, tier `block`, or rejected by its reviewers.
    case rejected
    /// Its review timed out with `on_timeout: expire` (no timeout ever approves a mutation).
    case expired
    /// An executed mutation being undone (medium review rejected, verification failed, manual).
    case rollingBack = "rolling_back"
    /// Undone.
    case rolledBack = "rolled_back"
    /// A reviewer asked for changes: a revision with the edited values replaced it (and went
    /// through the whole pipeline itself). Never executed.
    case superseded

    public var description: String { rawValue }
}
