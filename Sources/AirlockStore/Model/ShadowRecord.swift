import Foundation

/// The candidate policy version running in shadow beside the active one: every live mutation is
/// also decided by it, without effect.
public struct ShadowSetting: Sendable, Hashable {
    /// The candidate's version (a stored policy version's hash).
    public var version: String
    /// Since when, and who started it.
    public var since: Date
    public var by: String

    public init(version: String, since: Date, by: String) {
        self.version = version
        self.since = since
        self.by = by
    }
}

/// How the shadow candidate decided one live mutation, beside the active policy's decision.
public struct ShadowResult: Sendable, Hashable {
    public var mutationID: String
    /// The candidate's version.
    public var shadowVersion: String
    /// The active policy's version.
    public var activeVersion: String
    public var at: Date
    public var resource: String
    /// The tiers routing acts on: the active one's, and the candidate's (`invalid` when the
    /// candidate's schemas refuse the mutation).
    public var activeTier: String
    public var shadowTier: String
    /// The rules that matched, by name.
    public var activeRules: [String]
    public var shadowRules: [String]
    /// The candidate's whole decision (canonical JSON) when the two disagree; the active one's is
    /// the mutation's.
    public var shadowDecision: String?

    public var agrees: Bool { activeTier == shadowTier }

    public init(
        mutationID: String, shadowVersion: String, activeVersion: String, at: Date, resource: String, activeTier: String,
        shadowTier: String, activeRules: [String], shadowRules: [String], shadowDecision: String?
    ) {
        self.mutationID = mutationID
        self.shadowVersion = shadowVersion
        self.activeVersion = activeVersion
        self.at = at
        self.resource = resource
        self.activeTier = activeTier
        self.shadowTier = shadowTier
        self.activeRules = activeRules
        self.shadowRules = shadowRules
        self.shadowDecision = shadowDecision
    }
}

/// How many decisions of one hour fell in one bucket of a distribution: the per-hour
/// distributions drift checks compare (tiers, data classes and score bands per resource).
public struct DistributionCount: Sendable, Hashable {
    /// The start of the hour.
    public var hour: Date
    public var resource: String
    /// `tier`, `class` or `score`.
    public var dimension: String
    /// The tier, the most sensitive class (`none`), or the score band (`<0`, `0-9`, …).
    public var bucket: String
    public var count: Int

    public init(hour: Date, resource: String, dimension: String, bucket: String, count: Int) {
        self.hour = hour
        self.resource = resource
        self.dimension = dimension
        self.bucket = bucket
        self.count = count
    }
}
