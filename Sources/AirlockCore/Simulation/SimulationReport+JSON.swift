import CEL

extension SimulationReport {
    /// The JSON form (`airlock policy simulate --json`), keys in a fixed order:
    ///
    /// ```json
    /// {"policy": {"name": "…", "version": "…"}, "mutations": 1200, "actors": 14,
    ///  "from": "2025-01-06T07:00:00Z", "to": "2025-01-08T19:00:00Z",
    ///  "tiers": {"low": 900, "medium": 150, "high": 100, "block": 40, "invalid": 10, "total": 1200},
    ///  "resources": {"payments.transfer": {"low": …, "total": …}, …},
    ///  "labels": {"bad": {…tiers}, "benign": {…tiers}, "unlabelled": 0},
    ///  "catch_rate": 0.87, "automation_rate": 0.93,
    ///  "slipped": [{"line": 17, "id": "…", "time": "…", "actor": "agent-7", "resource": "…",
    ///               "operation": "create", "tier": "low", "score": 0, "rules": []}],
    ///  "peak_open_reviews": 12,
    ///  "workload": {"review_minutes": 4.0, "reviews": 250, "late_reviews": 3, "never_completed": 0,
    ///               "without_sla": 0, "pools": [{"pool": "finance", "reviewers": 3, …}]}}
    /// ```
    ///
    /// Rates are `null` without mutations of that label; `workload` is `null` without pool sizes.
    public var jsonValue: Value {
        var map = CELMap()
        map["policy"] = .map(CELMap([(.string("name"), .string(policyName)), (.string("version"), .string(policyVersion))]))
        map["mutations"] = .int(Int64(total.total))
        map["actors"] = .int(Int64(actors))
        map["from"] = span.map { .string(RFC3339.format($0.first)) } ?? .null
        map["to"] = span.map { .string(RFC3339.format($0.last)) } ?? .null
        map["tiers"] = total.jsonValue
        var resources = CELMap()
        for entry in self.resources { resources[entry.resource] = entry.counts.jsonValue }
        map["resources"] = .map(resources)
        var labels = CELMap()
        labels["bad"] = bad.jsonValue
        labels["benign"] = benign.jsonValue
        labels["unlabelled"] = .int(Int64(unlabelled))
        map["labels"] = .map(labels)
        map["catch_rate"] = catchRate.map(Value.double) ?? .null
        map["automation_rate"] = automationRate.map(Value.double) ?? .null
        map["slipped"] = .list(slipped.map(\.jsonValue))
        map["peak_open_reviews"] = .int(Int64(peakOpenReviews))
        map["workload"] = workload?.jsonValue ?? .null
        return .map(map)
    }
}

extension SimulationReport.TierCounts {
    /// `{"low", "medium", "high", "block", "invalid", "total"}`.
    public var jsonValue: Value {
        var map = CELMap()
        for tier in Tier.allCases { map[tier.rawValue] = .int(Int64(self[tier])) }
        map["invalid"] = .int(Int64(invalid))
        map["total"] = .int(Int64(total))
        return .map(map)
    }
}

extension SimulationReport.Slipped {
    /// `{"line", "id"?, "time", "actor", "resource", "operation", "tier", "score", "rules"}`.
    public var jsonValue: Value {
        var map = CELMap()
        map["line"] = .int(Int64(line))
        if let id { map["id"] = .string(id) }
        map["time"] = .string(RFC3339.format(time))
        map["actor"] = .string(actor)
        map["resource"] = .string(resource)
        map["operation"] = .string(operation.rawValue)
        map["tier"] = .string(tier.rawValue)
        map["score"] = .int(Int64(score))
        map["rules"] = .list(rules.map(Value.string))
        return .map(map)
    }
}

extension WorkloadForecast {
    /// `{"review_minutes", "reviews", "late_reviews", "never_completed", "without_sla", "pools": […]}`.
    public var jsonValue: Value {
        var map = CELMap()
        map["review_minutes"] = .double(reviewMinutes)
        map["reviews"] = .int(Int64(reviews))
        map["late_reviews"] = .int(Int64(lateReviews))
        map["never_completed"] = .int(Int64(neverCompleted))
        map["without_sla"] = .int(Int64(withoutSLA))
        map["pools"] = .list(
            pools.map { pool in
                var entry = CELMap()
                entry["pool"] = .string(pool.name)
                entry["reviewers"] = .int(Int64(pool.reviewers))
                entry["approvals"] = .int(Int64(pool.approvals))
                entry["approvals_per_hour"] = .double(pool.approvalsPerHour)
                entry["peak_hour_approvals"] = .int(Int64(pool.peakHourApprovals))
                entry["peak_queue"] = .int(Int64(pool.peakQueue))
                entry["late"] = .int(Int64(pool.late))
                entry["never_given"] = .int(Int64(pool.neverGiven))
                entry["mean_minutes"] = .double(pool.meanMinutes)
                entry["max_minutes"] = .double(pool.maxMinutes)
                return .map(entry)
            })
        return .map(map)
    }
}
