/// The kinds of event Airlock tells webhook targets about.
///
/// The raw values are the names a target's `events` filter and an event's `kind` field use.
public enum NotificationKind: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// A review was opened (a high-tier mutation waits for it, or a medium one runs beside it).
    case reviewOpened = "review_opened"
    /// A review's deadline is near.
    case reviewDueSoon = "review_due_soon"
    /// A review passed its deadline and went to the next pool.
    case escalated
    /// A mutation was approved or rejected (by policy, its reviewers, or a timeout).
    case decided
    /// A review ran out of time and was not approved.
    case expired
    /// A mutation was replaced by a revision.
    case superseded
    /// An executed change was undone.
    case rolledBack = "rolled_back"
    /// An applied change did not read back as requested.
    case verificationFailed = "verification_failed"
    /// Freeze mode was switched on or off.
    case freezeChanged = "freeze_changed"
    /// A drift check found decisions of a resource distributed differently than before.
    case drift
    /// Reviewers show signs of no longer looking (too fast, nearly always approving, bursts, a
    /// growing overdue queue).
    case oversight

    public var description: String { rawValue }
}
