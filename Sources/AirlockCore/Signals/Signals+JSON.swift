import CEL

extension Signals {
    /// Reads signals from their JSON form (the names rules use: `amount_zscore`, `first_time`, …);
    /// keys not given keep their value in `base`.
    public init(jsonValue value: Value, base: Signals = .neutral) throws(ValidationFailure) {
        var reader = ObjectReader(value, what: "signals", allowed: Self.fieldNames)
        self = base
        if let x = reader.double("amount_zscore") { amountZScore = x }
        if let x = reader.double("resource_amount_zscore") { resourceAmountZScore = x }
        if let x = reader.int("actor_rate_1m") { actorRate1m = x }
        if let x = reader.int("actor_rate_1h") { actorRate1h = x }
        if let x = reader.bool("first_time") { firstTime = x }
        if let x = reader.bool("off_hours") { offHours = x }
        if let map = reader.object("zscores") {
            for (key, item) in map.entries {
                guard case .string(let field) = key, let z = SignalState.number(item) else {
                    reader.fail("zscores", "must map field names to numbers")
                    continue
                }
                zscores[field] = z
            }
        }
        if let map = reader.object("first_seen") {
            for (key, item) in map.entries {
                guard case .string(let field) = key, case .bool(let seen) = item else {
                    reader.fail("first_seen", "must map field names to true or false")
                    continue
                }
                firstSeen[field] = seen
            }
        }
        guard reader.issues.isEmpty else { throw ValidationFailure(issues: reader.issues) }
    }

    /// The JSON form, which is also the value rules see as `signals`.
    public var jsonValue: Value {
        var map = CELMap()
        map["amount_zscore"] = .double(amountZScore)
        map["resource_amount_zscore"] = .double(resourceAmountZScore)
        var z = CELMap()
        for (name, value) in zscores { z[name] = .double(value) }
        map["zscores"] = .map(z)
        map["actor_rate_1m"] = .int(Int64(actorRate1m))
        map["actor_rate_1h"] = .int(Int64(actorRate1h))
        map["first_time"] = .bool(firstTime)
        var seen = CELMap()
        for (name, value) in firstSeen { seen[name] = .bool(value) }
        map["first_seen"] = .map(seen)
        map["off_hours"] = .bool(offHours)
        return .map(map)
    }
}
