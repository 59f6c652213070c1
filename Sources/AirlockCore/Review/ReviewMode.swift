/// Whether a review holds the mutation or runs beside it.
public enum ReviewMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The mutation waits for the review (tier `high`).
    case blocking
    /// The mutation executes; a rejection rolls it back (tier `medium`).
    case parallel
}

/// Where a review stands.
public enum ReviewStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Collecting votes.
    case open
    /// Every group completed.
    case approved
    /// Rejected by its reviewers.
    case rejected
    /// Timed out with no escalation left (a high-tier mutation that ended unexecuted, or a
    /// medium-tier change rolled back for it).
    case expired
    /// A parallel review that timed out with `on_timeout: unreviewed`: the change stays, and
    /// nobody looked at it.
    case unreviewed
    /// Closed for another reason (the mutation was withdrawn, superseded, …).
    case cancelled
}
