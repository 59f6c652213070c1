import CEL

/// One record of an applied change: its key and its values before and after, by field.
public struct RecordChange: Sendable {
    /// The key of the record changed (for a create without a target, the key it was given).
    public var target: String
    /// The record's values before the change; `nil` for a create (there was no record).
    public var beforeImage: CELMap?
    /// The record's values after the change; `nil` for a delete.
    public var afterImage: CELMap?

    /// A record change with every part given.
    public init(target: String, beforeImage: CELMap?, afterImage: CELMap?) {
        self.target = target
        self.beforeImage = beforeImage
        self.afterImage = afterImage
    }
}
