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
            let mode: ReviewMode = tier == .high ? .blocking : .parallel
            var settings = TierSettings(onTimeout: OnTimeout.defaultAction(for: mode))
            if let node = t["from_score"], let score = int(node, "from_score") {
                settings.fromScore = score
                thresholds.append((tier, score, node))
            }
            if let node = t["pool"], let pool = poolName(node, "pool") { settings.pool = pool }
            if let node = t["count"], let count = int(node, "count") {
                if count < 1 { report("count must be at least 1", at: node, .invalidValue) }
                settings.count = count
            }
            if let node = t["sla"], let seconds = sla(node, "sla") { settings.slaSeconds = seconds }
            if let node = t["escalate_to"], let pool = poolName(node, "escalate_to") { settings.escalateTo = pool }
            if let node = t["on_timeout"], let text = string(node, "on_timeout") {
                let allowed = OnTimeout.allowed(for: mode)
                if let action = OnTimeout(rawValue: text), allowed.contains(action) {
                    settings.onTimeout = action
                } else {
                    let names = allowed.map(\.rawValue)
                    let why = text == "approve" ? " (no timeout approves a mutation)" : ""
                    let message = "\(what).on_timeout must be \(names.joined(separator: " or ")), not '\(text)'\(why)"
                    report(Suggestion.message(message, word: text, candidates: names), at: node, .invalidValue)
                }
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

    /// An SLA duration (`30m`, `4h`, `1h30m`, `2d`) in seconds, at most ``longestSLA``.
    func sla(_ node: Located, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let seconds = DurationText.seconds(text), seconds > 0 else {
            report("\(what) must be a duration such as 30m, 4h, 1h30m or 2d, not '\(text)'", at: node, .invalidValue)
            return nil
        }
        guard seconds <= Self.longestSLA else {
            report("\(what) must be at most 365d, not '\(text)'", at: node, .invalidValue)
            return nil
        }
        return seconds
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
