import CEL

extension Decision {
    /// The JSON form of the decision, keys in a fixed, readable order:
    ///
    /// ```json
    /// {"tier": "medium", "routed_tier": "high", "score": 20,
    ///  "reasons": [{"rule": "large-transfer", "message": "…", "tier": "high",
    ///               "values": {"mutation.changes.amount": 12000.0}}],
    ///  "approvals": {"groups": [{"pool": "finance", "count": 2}], "sla_seconds": 3600,
    ///                "escalate_to": "finance-leads", "on_timeout": "reject"},
    ///  "requirement": {…},   (what routing asks at routed_tier, when it differs from approvals)
    ///  "data": {"classes": ["financial"], "max_class": "financial", "records": 1, "reversible": false},
    ///  "policy": {"name": "…", "version": "…"}, "evaluated_at": "2025-01-06T12:00:00Z",
    ///  "signals": {…}}
    /// ```
    public var jsonValue: Value {
        var map = CELMap()
        map["tier"] = .string(tier.rawValue)
        map["routed_tier"] = .string(routedTier.rawValue)
        map["score"] = .int(Int64(score))
        map["reasons"] = .list(reasons.map(\.jsonValue))
        map["approvals"] = approvals?.jsonValue ?? .null
        if requirement != approvals { map["requirement"] = requirement?.jsonValue ?? .null }
        var data = CELMap()
        data["classes"] = .list(dataClasses.map(Value.string))
        data["max_class"] = maxClass.map(Value.string) ?? .null
        data["records"] = .int(Int64(records))
        data["reversible"] = .bool(reversible)
        map["data"] = .map(data)
        var policy = CELMap()
        policy["name"] = .string(policyName)
        policy["version"] = .string(policyVersion)
        map["policy"] = .map(policy)
        map["evaluated_at"] = .string(RFC3339.format(evaluatedAt))
        map["signals"] = signals.jsonValue
        return .map(map)
    }
}

extension Reason {
    /// `{"rule", "message", "tier"?, "score"?, "values": {path: value}, "failed"?}`.
    public var jsonValue: Value {
        var map = CELMap()
        map["rule"] = .string(rule)
        map["message"] = .string(message)
        if let tier { map["tier"] = .string(tier.rawValue) }
        if let score { map["score"] = .int(Int64(score)) }
        var seen = CELMap()
        for value in values { seen[value.path] = value.value ?? .null }
        map["values"] = .map(seen)
        if failed { map["failed"] = .bool(true) }
        return .map(map)
    }
}

extension ApprovalRequirement {
    /// `{"groups": [{"pool", "count"}], "sla_seconds"?, "escalate_to"?, "on_timeout"}`.
    public var jsonValue: Value {
        var map = CELMap()
        map["groups"] = .list(
            groups.map { group in
                var g = CELMap()
                g["pool"] = .string(group.pool)
                g["count"] = .int(Int64(group.count))
                return .map(g)
            })
        if let slaSeconds { map["sla_seconds"] = .int(Int64(slaSeconds)) }
        if let escalateTo { map["escalate_to"] = .string(escalateTo) }
        map["on_timeout"] = .string(onTimeout.rawValue)
        if rejectAfter != 1 { map["reject_after"] = .int(Int64(rejectAfter)) }
        return .map(map)
    }
}
