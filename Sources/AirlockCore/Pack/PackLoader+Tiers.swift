extension PackLoader {
    static let reviewedTierKeys = ["from_score", "pool", "count", "sla", "escalate_to", "on_timeout"]
    /// The longest SLA a tier may set: 365 days (deadlines are stored in microseconds).
    static let longestSLA = 365 * 86_400

    func readDefaults() {
        guard let section = single("defaults"),
            let e = entries(section.value, of: "defaults", allowed: ["tier", "on_error"])
        else { return }
        if let node = e["tier"], let tier = choice(node, "defaults.tier", Tier.self) { defaults.tier = tier }
        if let node = e["on_error"], let tier = choice(node, "defaults.on_error", Tier.self) {
            defaults.onError = tier
            explicitOnError = true
        }
    }

    func readTiers() {
        guard let section = single("tiers"),
            let e = entries(section.value, of: "tiers", allowed: ["medium", "high", "block"])
        else { return }
        var thresholds: [(Tier, Int, Located)] = []
        for (key, keyAt, value) in e.items {
            guard let tier = Tier(rawValue: key) else { continue }
            tierLocations[tier] = keyAt.location
            if tier == .block {
                guard let b = entries(value, of: "tiers.block", allowed: ["from_score"]) else { continue }
                if let node = require("from_score", in: b, of: "tiers.block"), let score = int(node, "from_score") {
                    tiers.blockFromScore = score
                    thresholds.append((tier, score, node))
                }
                continue
            }
            let what = "tiers.\(key)"
            guard let t = entries(value, of: what, allowed: Self.reviewedTierKeys) else { continue }
            var settings = TierSettings(onTimeout: tier == .medium ? .approve : .reject)
            if let node = t["from_score"], let score = int(node, "from_score") {
                settings.fromScore = score
                thresholds.append((tier, score, node))
            }
            if let node = t["pool"], let pool = poolName(node, "pool") { settings.pool = pool }
            if let node = t["count"], let count = int(node, "count") {
                if count < 1 { report("count must be at least 1", at: node, .invalidValue) }
                settings.count = count
            }
            if let node = t["sla"], let text = string(node, "sla") {
                if let seconds = DurationText.seconds(text), seconds > 0 {
                    if seconds <= Self.longestSLA {
                        settings.slaSeconds = seconds
                    } else {
                        report("sla must be at most 365d, not '\(text)'", at: node, .invalidValue)
                    }
                } else {
                    report("sla must be a duration such as 30m, 4h, 1h30m or 2d, not '\(text)'", at: node, .invalidValue)
                }
            }
            if let node = t["escalate_to"], let pool = poolName(node, "escalate_to") { settings.escalateTo = pool }
            if let node = t["on_timeout"], let action = choice(node, "on_timeout", OnTimeout.self) {
                settings.onTimeout = action
            }
            if tier == .medium { tiers.medium = settings } else { tiers.high = settings }
        }
        let ordered = thresholds.sorted { $0.0 < $1.0 }
        for (lower, higher) in zip(ordered, ordered.dropFirst()) where higher.1 <= lower.1 {
            report(
                "tiers.\(higher.0).from_score (\(higher.1)) must be above tiers.\(lower.0).from_score (\(lower.1))",
                at: higher.2, .thresholdOrder)
        }
    }

    /// A pool name, registered for the server's check against its principals.
    func poolName(_ node: Located, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        guard Self.isName(text) else {
            report("\(what) '\(text)' may hold only letters, digits, '_', '-' and '.'", at: node, .invalidValue)
            return nil
        }
        usePool(text, at: node)
        return text
    }
}
