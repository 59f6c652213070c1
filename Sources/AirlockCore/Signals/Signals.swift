/// The context signals of one decision, derived from a ``SignalState`` (or given directly, as in a
/// pack's tests). Rules read them as `signals`.
public struct Signals: Sendable, Hashable {
    /// The z-score of the resource's amount field against this actor's history on this resource;
    /// 0 until 20 observations, or when the resource has no amount field or the change has none.
    public var amountZScore: Double
    /// The same against every actor's history on this resource.
    public var resourceAmountZScore: Double
    /// The z-score (actor + resource history) of every numeric field in the changes.
    public var zscores: NamedValues<Double>
    /// Submissions by this actor in the last minute (any resource, refused ones included; not
    /// this one).
    public var actorRate1m: Int
    /// Submissions by this actor in the last hour (any resource, refused ones included; not this
    /// one).
    public var actorRate1h: Int
    /// The history holds no executed mutation of this resource by this actor (it never had one,
    /// or the actor was evicted from the history since).
    public var firstTime: Bool
    /// For each field the resource marks `track_new`: whether the value in the changes was never
    /// seen before in an executed mutation of this resource (any actor). False when the field is
    /// not in the changes.
    public var firstSeen: NamedValues<Bool>
    /// The decision time falls outside the pack's business hours (false when the pack has none).
    public var offHours: Bool

    public init(
        amountZScore: Double = 0, resourceAmountZScore: Double = 0, zscores: NamedValues<Double> = [:],
        actorRate1m: Int = 0, actorRate1h: Int = 0, firstTime: Bool = false, firstSeen: NamedValues<Bool> = [:],
        offHours: Bool = false
    ) {
        self.amountZScore = amountZScore
        self.resourceAmountZScore = resourceAmountZScore
        self.zscores = zscores
        self.actorRate1m = actorRate1m
        self.actorRate1h = actorRate1h
        self.firstTime = firstTime
        self.firstSeen = firstSeen
        self.offHours = offHours
    }

    /// No anomaly, no rate, a known actor, inside business hours: the default of a pack test.
    public static let neutral = Signals()

    /// The names rules use, as `signals.NAME`.
    public static let fieldNames = [
        "amount_zscore", "resource_amount_zscore", "zscores", "actor_rate_1m", "actor_rate_1h", "first_time",
        "first_seen", "off_hours",
    ]
}

extension Signals {
    /// These signals with `first_seen` false for every tracked field they leave out, as signals
    /// derived from a history always have it: given signals (pack tests, `policy eval`) then
    /// decide as the server would, where `!signals.first_seen.to_account` reads false, not an
    /// absent key.
    func completingFirstSeen(_ trackedFields: [String]) -> Signals {
        var completed = self
        for name in trackedFields where completed.firstSeen[name] == nil { completed.firstSeen[name] = false }
        return completed
    }
}
