import AirlockCore
import Foundation

/// Which mutations to list. Results are ordered by creation time, then id; page with `after`.
public struct MutationQuery: Sendable, Hashable {
    /// Only these statuses (all when empty).
    public var statuses: Set<MutationStatus>
    /// Only this actor's.
    public var actorID: String?
    /// Only this resource's.
    public var resource: String?
    /// Only those created at or after this time.
    public var createdSince: Date?
    /// Only those after this mutation in the order (the last id of the previous page).
    public var after: String?
    /// At most this many.
    public var limit: Int

    /// A query; everything, 100 at a time, by default.
    public init(
        statuses: Set<MutationStatus> = [], actorID: String? = nil, resource: String? = nil,
        createdSince: Date? = nil, after: String? = nil, limit: Int = 100
    ) {
        self.statuses = statuses
        self.actorID = actorID
        self.resource = resource
        self.createdSince = createdSince
        self.after = after
        self.limit = limit
    }
}
