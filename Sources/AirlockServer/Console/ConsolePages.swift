import AirlockCore
import AirlockEngine
import AirlockStore
import CEL
import Foundation
import Hummingbird

/// What each page shows, as mustache contexts.
extension ConsoleRoutes {
    /// The context every page starts from: title, the header's navigation, the reader.
    static func base(_ title: String, _ request: Request, reader: Reader?, nav: String? = nil) -> [String: Any] {
        var context: [String: Any] = ["title": title]
        if let reader {
            context["signedIn"] = true
            context["principal"] = reader.principal.id
            context["csrf"] = reader.csrf
        }
        if let nav { context["nav" + nav] = true }
        return context
    }

    /// Marks a page live: its script long-polls for changes after the current one.
    func live(_ context: inout [String: Any]) {
        context["live"] = ["seq": String(gateway.changeSequence)]
    }

    // MARK: Queue

    func queuePage(_ request: Request, _ reader: Reader) async throws -> Response {
        var context = Self.base("Queue", request, reader: reader, nav: "Queue")
        live(&context)
        let now = gateway.clock.now()
        let query = request.uri.queryParameters
        let pool = query["pool"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let tier = query["tier"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let resource = query["resource"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        guard reader.principal.has(.reviewer) else {
            context["heading"] = "Your mutations"
            let page = try await gateway.list(
                statuses: [], resource: nil, actor: reader.principal.id, limit: 500, after: nil, for: reader.principal)
            let own = page.views.suffix(20).reversed().map { view -> [String: Any] in
                ["id": view.id, "status": view.status.rawValue, "summary": Self.summary(view), "age": Self.duration(now.timeIntervalSince(view.createdAt))]
            }
            context["own"] = Array(own)
            context["hasOwn"] = !own.isEmpty
            return render("queue", context, reader: reader, request: request)
        }
        context["isReviewer"] = true
        context["heading"] = "Reviews waiting for you"
        // The head of the queue (500, the pool filter applied by the store); tier and resource
        // filter that head.
        let all = try await gateway.openReviews(for: reader.principal, pools: pool.map { [$0] }, limit: 500)
        let shown = all.filter { _, view in
            (tier == nil || view.tier == tier) && (resource == nil || view.resource == resource)
        }
        // Overdue first (the earliest deadline leads), as the gateway orders them.
        context["reviews"] = shown.map { review, view -> [String: Any] in
            let overdue = review.deadline.map { $0 <= now } ?? false
            var row: [String: Any] = [
                "id": view.id, "tier": view.tier ?? "none", "resource": view.resource, "actor": view.actor,
                "summary": Self.summary(view), "pool": review.groups.map(\.pool).joined(separator: ", "),
                "age": Self.duration(now.timeIntervalSince(review.openedAt)), "overdue": overdue ? "true" : "false",
            ]
            if overdue { row["isOverdue"] = true }
            row["timeLeft"] = review.deadline.map { Self.timeLeft($0, now: now) } ?? "no deadline"
            return row
        }
        context["hasReviews"] = !shown.isEmpty
        context["filtered"] = pool != nil || tier != nil || resource != nil
        let overdueCount = shown.count { $0.review.deadline.map { $0 <= now } ?? false }
        context["countText"] =
            "\(shown.count) open review\(shown.count == 1 ? "" : "s")\(overdueCount > 0 ? ", \(overdueCount) overdue" : "")"
            + (shown.count < all.count ? " (\(all.count) without the filters)" : "")
        context["pools"] = reader.principal.pools.sorted().map { ["value": $0, "selected": $0 == pool] }
        context["tiers"] = ["high", "medium"].map { ["value": $0, "selected": $0 == tier] }
        context["resources"] = (gateway.activePack?.resourceOrder ?? []).map { ["value": $0, "selected": $0 == resource] }
        return render("queue", context, reader: reader, request: request)
    }

    // MARK: Mutation

    func mutationPage(_ request: Request, _ id: String, _ reader: Reader) async throws -> Response {
        let detail = try await gateway.detail(of: id, for: reader.principal)
        let view = detail.view
        let now = gateway.clock.now()
        var context = Self.base("\(view.operation) \(view.resource)", request, reader: reader)
        live(&context)
        context["id"] = view.id
        context["operation"] = view.operation
        context["resource"] = view.resource
        if let target = view.target ?? view.targets?.joined(separator: ", ") { context["target"] = target }
        context["status"] = view.status.rawValue
        context["tier"] = view.tier ?? "none"
        context["score"] = view.score.map(String.init) ?? "—"
        context["actor"] = view.actor
        context["age"] = Self.duration(now.timeIntervalSince(view.createdAt))
        context["policyShort"] = view.policyVersion.map(Self.short) ?? "—"
        context["contentHash"] = view.contentHash
        context["policyVersion"] = view.policyVersion ?? ""
        if let revisionOf = view.revisionOf { context["revisionOf"] = revisionOf }
        if let supersededBy = view.supersededBy { context["supersededBy"] = supersededBy }
        context["errors"] = view.errors.map { ["path": $0.path, "message": $0.message] }
        context["hasErrors"] = !view.errors.isEmpty

        // The diff: every field changed or read, in the resource's order.
        let changes: CELMap = if case .map(let map) = view.changes { map } else { CELMap() }
        let schema = gateway.activePack?.resources[view.resource]
        var names: [String] = []
        for name in (schema?.fieldOrder ?? []) where changes[name] != nil || detail.before?[name] != nil { names.append(name) }
        for (key, _) in changes.entries { if case .string(let name) = key, !names.contains(name) { names.append(name) } }
        for (key, _) in (detail.before ?? CELMap()).entries { if case .string(let name) = key, !names.contains(name) { names.append(name) } }
        let hidden = MutationView.hiddenFields(detail.fieldClasses, for: reader.principal).union(view.maskedFields)
        context["fields"] = names.map { name -> [String: Any] in
            var row: [String: Any] = ["name": name]
            if let dataClass = detail.fieldClasses[name] {
                row["dataClass"] = dataClass
                row["hasClass"] = true
            }
            if hidden.contains(name) { row["masked"] = true }
            let before = detail.before?[name]
            let after = changes[name]
            row["before"] = before.map(Self.text) ?? "—"
            row["after"] = after.map(Self.text) ?? (view.operation == "delete" ? "deleted" : "unchanged")
            if let after, before.map({ !Self.same($0, after) }) ?? true { row["changed"] = true }
            return row
        }

        // Why: the impact, the rules and what they read, the signals.
        let decision = detail.decision
        context["impact"] = Self.impact(view, decision: decision, schema: schema, hidden: hidden)
        var reasons: [[String: Any]] = []
        if case .list(let list)? = decision?.field("reasons") {
            for reason in list {
                guard case .string(let rule) = reason.field("rule") else { continue }
                var row: [String: Any] = ["rule": rule, "message": Self.text(reason.field("message"))]
                var effect: [String] = []
                // A rule that failed to evaluate is shown too: the pack's on_error tier applied.
                if case .bool(true) = reason.field("failed") { effect.append("failed to evaluate: the pack's on_error tier applies") }
                if case .string(let tier) = reason.field("tier") { effect.append("tier \(tier)") }
                if let score = reason.field("score").intValue { effect.append("score \(score >= 0 ? "+" : "")\(score)") }
                if !effect.isEmpty { row["effect"] = effect.joined(separator: ", ") }
                if case .map(let values) = reason.field("values") {
                    let read = values.entries.compactMap { key, value -> [String: Any]? in
                        guard case .string(let path) = key else { return nil }
                        return ["path": path, "value": MutationView.pathNamesHidden(path, hidden) ? "hidden" : Self.text(value)]
                    }
                    row["values"] = read
                    row["hasValues"] = !read.isEmpty
                }
                reasons.append(row)
            }
        }
        context["reasons"] = reasons
        context["signals"] = Self.signals(decision?.field("signals") ?? .null, hiding: hidden, amountField: schema?.amountField).map { ["text": $0] }

        // The review.
        if let approvals = view.approvals, let review = detail.review {
            var row: [String: Any] = [
                "count": approvals.received.count, "required": approvals.required, "mode": approvals.mode, "state": approvals.state,
                "groups": approvals.groups.map { ["pool": $0.pool, "approved": $0.approved, "count": $0.count] },
            ]
            if let deadline = approvals.deadline {
                row["deadline"] = MutationView.format(deadline)
                row["deadlineText"] = Self.clockText(deadline)
                row["timeLeft"] = review.status == .open ? Self.timeLeft(deadline, now: now) : "closed"
                if review.status == .open, deadline <= now { row["overdue"] = true }
            }
            if review.escalations > 0 { row["escalations"] = String(review.escalations) }
            let votes = approvals.received.map { ($0, "Approved") } + approvals.rejections.map { ($0, "Rejected") }
            row["votes"] = votes.sorted { $0.0.at < $1.0.at }.map { vote, verb -> [String: Any] in
                var entry: [String: Any] = ["verb": verb, "reviewer": vote.reviewer, "at": Self.clockText(vote.at)]
                if let note = vote.note { entry["note"] = note }
                return entry
            }
            context["review"] = row
        }

        // What the reader may do.
        context["mayVote"] = detail.mayVote
        if detail.mayVote {
            if detail.review?.mode == .blocking, hidden.isEmpty, view.operation != "delete", !changes.isEmpty {
                context["mayRequestChanges"] = true
                context["editable"] = changes.entries.compactMap { key, value -> [String: Any]? in
                    guard case .string(let name) = key else { return nil }
                    return ["name": name, "value": Self.text(value)]
                }
            }
        } else {
            context["whyNoVote"] = whyNoVote(view, detail, reader.principal)
        }

        context["timeline"] = detail.timeline.map { record -> [String: Any] in
            var row: [String: Any] = [
                "seq": String(record.seq), "kind": record.kind.rawValue, "actor": record.actor,
                "at": Self.clockText(record.time), "iso": MutationView.format(record.time),
            ]
            if let detailText = Self.auditDetail(record.payload) { row["detail"] = detailText }
            return row
        }
        return render("mutation", context, reader: reader, request: request)
    }

    func whyNoVote(_ view: MutationView, _ detail: MutationDetail, _ principal: Principal) -> String {
        if view.actor == principal.id { return "You submitted this mutation: the decision is someone else's." }
        guard let review = detail.review, review.status == .open else {
            return "No review is open on it: it is \(view.status.rawValue)."
        }
        if gateway.principals.ownerChain(of: view.actor).contains(principal.id) {
            return "You are accountable for \(view.actor), so you may not review its mutations."
        }
        if !principal.has(.reviewer) || !review.groups.contains(where: { principal.pools.contains($0.pool) }) {
            return "You are not a reviewer of its pools (\(review.groups.map(\.pool).joined(separator: ", ")))."
        }
        return "You have voted on it."
    }

    // MARK: Dashboard

    func dashboardPage(_ request: Request, _ reader: Reader) async throws -> Response {
        let name = request.uri.queryParameters["period"].map(String.init) ?? "day"
        guard let period = KPIPeriod(rawValue: name) else {
            throw PageError(status: .badRequest, heading: "Unknown period", text: "period must be hour, day or week (got '\(name)').", back: "/dashboard")
        }
        let report = try await gateway.kpis(period, for: reader.principal)
        var context = Self.base("Dashboard", request, reader: reader, nav: "Dashboard")
        live(&context)
        context["period"] = period.rawValue
        context["periods"] = KPIPeriod.allCases.map { ["name": $0.rawValue, "current": $0 == period] }
        let percent = { (x: Double?) in x.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
        let seconds = { (x: Double?) in x.map { Self.duration($0) } ?? "—" }
        context["kpis"] = [
            ["label": "Decisions", "value": String(report.decided)],
            ["label": "Auto-approved (low, medium)", "value": percent(report.autoApprovalRate)],
            ["label": "Reviews escalated", "value": percent(report.escalationRate)],
            ["label": "Time to decision, median", "value": seconds(report.medianDecisionSeconds)],
            ["label": "Time to decision, p95", "value": seconds(report.p95DecisionSeconds)],
            ["label": "Open reviews", "value": String(report.openReviews)],
            ["label": "Overdue reviews", "value": String(report.overdueReviews)],
            ["label": "Rollbacks", "value": String(report.rollbacks)],
        ]
        context["tierChart"] = ConsoleCharts.tierBars(report.decisions)
        context["seriesChart"] = ConsoleCharts.series(report.series, period: period)
        return render("dashboard", context, reader: reader, request: request)
    }

    // MARK: Policies

    func policiesPage(_ request: Request, _ reader: Reader) async throws -> Response {
        let versions = try await gateway.policies(for: reader.principal)
        var context = Self.base("Policies", request, reader: reader, nav: "Policies")
        let active = versions.first { $0.isActive }
        context["activeName"] = active?.name ?? "none"
        context["activeShort"] = active.map { Self.short($0.hash) } ?? ""
        context["versions"] = versions.reversed().map { record -> [String: Any] in
            [
                "hash": record.hash, "short": Self.short(record.hash), "name": record.name, "active": record.isActive,
                "createdAt": Self.clockText(record.createdAt), "createdBy": record.createdBy,
                "activatedAt": record.activatedAt.map(Self.clockText) ?? "never",
                "canActivate": reader.principal.has(.admin) && !record.isActive,
            ]
        }
        let newest = versions.last?.hash
        let previous = versions.count > 1 ? versions[versions.count - 2].hash : newest
        context["fromOptions"] = versions.reversed().map { ["hash": $0.hash, "short": Self.short($0.hash), "name": $0.name, "selected": $0.hash == previous] }
        context["toOptions"] = versions.reversed().map { ["hash": $0.hash, "short": Self.short($0.hash), "name": $0.name, "selected": $0.hash == newest] }
        return render("policies", context, reader: reader, request: request)
    }

    func policyDiffPage(_ request: Request, _ reader: Reader) async throws -> Response {
        let versions = try await gateway.policies(for: reader.principal)
        let query = request.uri.queryParameters
        func find(_ name: String) throws -> PolicyVersionRecord {
            let hash = query[name[...]].map(String.init) ?? ""
            guard let record = versions.first(where: { $0.hash == hash }) else {
                throw PageError(status: .notFound, heading: "Unknown version", text: "\(name): no policy version '\(hash)'.", back: "/policies")
            }
            return record
        }
        let from = try find("from")
        let to = try find("to")
        var context = Self.base("Policy difference", request, reader: reader, nav: "Policies")
        Self.diff(PackText.readable(from.text), PackText.readable(to.text), into: &context)
        context["fromShort"] = Self.short(from.hash)
        context["toShort"] = Self.short(to.hash)
        return render("policy-diff", context, reader: reader, request: request)
    }

    func activatePage(_ request: Request, _ version: String, _ reader: Reader) async throws -> Response {
        guard reader.principal.has(.admin) else {
            throw PageError(status: .forbidden, heading: "Admins only", text: "Activating a policy version needs the admin role.", back: "/policies")
        }
        let versions = try await gateway.policies(for: reader.principal)
        guard let record = versions.first(where: { $0.hash == version }) else {
            throw PageError(status: .notFound, heading: "Unknown version", text: "No policy version '\(version)'.", back: "/policies")
        }
        let active = versions.first { $0.isActive }
        var context = Self.base("Activate \(Self.short(record.hash))", request, reader: reader, nav: "Policies")
        context["hash"] = record.hash
        context["short"] = Self.short(record.hash)
        context["activeShort"] = active.map { Self.short($0.hash) } ?? "none"
        Self.diff(active.map { PackText.readable($0.text) } ?? "", PackText.readable(record.text), into: &context)
        return render("activate", context, reader: reader, request: request)
    }

    static func diff(_ old: String, _ new: String, into context: inout [String: Any]) {
        let lines = LineDiff.lines(from: old, to: new)
        var added = 0
        var removed = 0
        context["lines"] = lines.map { line -> [String: Any] in
            switch line {
            case .same(let text): return ["kind": "same", "sign": " ", "text": text]
            case .added(let text):
                added += 1
                return ["kind": "added", "sign": "+", "text": text]
            case .removed(let text):
                removed += 1
                return ["kind": "removed", "sign": "-", "text": text]
            }
        }
        context["summary"] = added + removed == 0 ? "The two versions have the same text." : "\(added) line\(added == 1 ? "" : "s") added, \(removed) removed"
    }
}

// MARK: Text

extension ConsoleRoutes {
    /// A value as a reviewer reads it: strings as they are, everything else as JSON.
    static func text(_ value: Value) -> String {
        switch value {
        case .string(let text): return text
        case .null: return "null"
        case .double(let x) where x == x.rounded() && abs(x) < 1e15: return String(Int64(x))
        default: return CanonicalJSON.encode(value)
        }
    }

    static func same(_ a: Value, _ b: Value) -> Bool { CanonicalJSON.encode(a) == CanonicalJSON.encode(b) }

    /// `create payments.transfer: amount 25000, currency EUR, …` in at most 140 characters.
    static func summary(_ view: MutationView) -> String {
        var parts: [String] = []
        if case .map(let map) = view.changes {
            for (key, value) in map.entries {
                guard case .string(let name) = key else { continue }
                parts.append(view.maskedFields.contains(name) ? "\(name) (hidden)" : "\(name) \(text(value))")
            }
        }
        var line = view.operation + (view.target.map { " \($0)" } ?? "") + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
        if line.count > 140 { line = String(line.prefix(139)) + "…" }
        return line
    }

    /// Records touched, money moved, whether it can be undone.
    static func impact(_ view: MutationView, decision: Value?, schema: ResourceSchema?, hidden: Set<String>) -> String {
        var parts: [String] = []
        let records = decision?.field("data").field("records").intValue ?? Int64(view.targets?.count ?? 1)
        parts.append("\(records) record\(records == 1 ? "" : "s")")
        if let field = schema?.amountField, case .map(let changes) = view.changes, let amount = changes[field] {
            if hidden.contains(field) {
                parts.append("moves an amount you are not cleared to see")
            } else if let number = amount.doubleValue {
                let currency = changes["currency"].map { text($0) }.map { " \($0)" } ?? ""
                parts.append("moves " + String(format: "%.2f", number).replacingOccurrences(of: ".00", with: "") + currency)
            }
        }
        if case .bool(let reversible) = decision?.field("data").field("reversible") ?? .null {
            parts.append(reversible ? "reversible" : "not reversible: undoing it needs an admin's forced rollback")
        }
        return parts.joined(separator: " · ")
    }

    /// The signals a decision saw, as sentences.
    /// A signal about a hidden field (its z-score says how unusual the hidden value is) is left out.
    static func signals(_ value: Value, hiding hidden: Set<String> = [], amountField: String? = nil) -> [String] {
        guard case .map(let map) = value else { return [] }
        let amountHidden = amountField.map(hidden.contains) ?? false
        var lines: [String] = []
        func sigma(_ z: Double, _ what: String, _ whose: String) -> String {
            String(format: "%@ is %.1fσ %@ %@ usual", what, abs(z), z >= 0 ? "above" : "below", whose)
        }
        for (key, item) in map.entries {
            guard case .string(let name) = key else { continue }
            if amountHidden, name == "amount_zscore" || name == "resource_amount_zscore" { continue }
            switch (name, item) {
            case ("amount_zscore", _):
                if let z = item.doubleValue, abs(z) >= 0.05 { lines.append(sigma(z, "the amount", "this actor's")) }
            case ("resource_amount_zscore", _):
                if let z = item.doubleValue, abs(z) >= 0.05 { lines.append(sigma(z, "the amount", "this resource's")) }
            case ("actor_rate_1m", _): lines.append("\(text(item)) submissions by this actor in the last minute")
            case ("actor_rate_1h", _): lines.append("\(text(item)) submissions by this actor in the last hour")
            case ("first_time", .bool(let on)): if on { lines.append("the first time this actor changes this resource") }
            case ("off_hours", .bool(let on)): if on { lines.append("outside business hours") }
            case ("zscores", .map(let fields)):
                for (field, z) in fields.entries {
                    if case .string(let f) = field, !hidden.contains(f), let z = z.doubleValue, abs(z) >= 0.05 { lines.append(sigma(z, f, "this actor's")) }
                }
            case ("first_seen", .map(let fields)):
                for (field, seen) in fields.entries {
                    if case .string(let f) = field, case .bool(true) = seen { lines.append("the first time this actor uses this \(f)") }
                }
            case (_, .bool(false)), (_, .null): continue
            default: lines.append("\(name): \(text(item))")
            }
        }
        return lines
    }

    /// The few parts of an audit payload worth a line in the timeline (never the mutation's values).
    static func auditDetail(_ payload: String) -> String? {
        guard case .map(let map)? = try? Value(json: payload) else { return nil }
        var parts: [String] = []
        for key in ["from", "to", "decision", "tier", "reason", "note", "error"] {
            guard let value = map[key] else { continue }
            if case .null = value { continue }
            if case .map = value { continue }
            if case .list = value { continue }
            parts.append("\(key): \(text(value))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    static func short(_ hash: String) -> String { String(hash.prefix(12)) }

    /// `2026-12-06 15:05:07 UTC`.
    static func clockText(_ date: Date) -> String {
        let text = MutationView.format(date)
        return String(text.prefix(19)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    /// `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        if s < 60 { return "\(s) s" }
        if s < 3_600 { return "\(s / 60) min" }
        if s < 86_400 { return "\(s / 3_600) h" + (s % 3_600 >= 60 ? " \((s % 3_600) / 60) min" : "") }
        return "\(s / 86_400) d" + (s % 86_400 >= 3_600 ? " \((s % 86_400) / 3_600) h" : "")
    }

    static func timeLeft(_ deadline: Date, now: Date) -> String {
        let left = deadline.timeIntervalSince(now)
        return left > 0 ? "\(duration(left)) left" : "overdue by \(duration(-left))"
    }
}

extension Value {
    var intValue: Int64? {
        switch self {
        case .int(let x): x
        case .uint(let x): Int64(exactly: x)
        case .double(let x): x == x.rounded() ? Int64(exactly: x) : nil
        default: nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .int(let x): Double(x)
        case .uint(let x): Double(x)
        case .double(let x): x
        default: nil
        }
    }
}
