import CEL
import Yams

extension PackLoader {
    static let testKeys = ["name", "actor", "mutation", "signals", "system", "now", "expect"]
    static let expectKeys = ["tier", "score", "rules", "approvals", "max_class", "valid", "issues"]

    /// Reads a list of tests (the `tests` section, or a tests file).
    func readTests(_ at: Located) {
        guard let items = sequence(at, "tests") else { return }
        for item in items {
            if let test = readTest(item) { tests.append(test) }
        }
    }

    private func readTest(_ at: Located) -> PackTest? {
        guard let e = entries(at, of: "a test", allowed: Self.testKeys) else { return nil }
        let before = problems.count
        let name = require("name", in: e, of: "a test").flatMap { string($0, "name") } ?? ""
        let what = "test '\(name)'"
        let actor = require("actor", in: e, of: what).flatMap { readActor($0) }
        var expect = PackTest.Expectation()
        if let node = require("expect", in: e, of: what) { expect = readExpectation(node, test: what) }
        var mutation = Value.null
        var resource: ResourceSchema?
        if let node = require("mutation", in: e, of: what) {
            mutation = YAMLValue.value(of: node.node)
            if expect.valid {
                do {
                    let parsed = try Mutation(jsonValue: mutation)
                    resource = resources[parsed.resource]
                    if resource == nil, let resourceNode = Self.child(node, "resource") {
                        report(
                            Suggestion.message(
                                "\(what) uses unknown resource '\(parsed.resource)'", word: parsed.resource,
                                candidates: resourceOrder), at: resourceNode, .unknownResource)
                    }
                } catch {
                    for issue in error.issues {
                        let place = Self.child(node, String(issue.path.split(separator: ".").first ?? "")) ?? node
                        report("\(what): mutation: \(issue)", at: place, .invalidValue)
                    }
                }
            }
        }
        var signals = Signals.neutral
        var setsOffHours = false
        if let node = e["signals"] { (signals, setsOffHours) = readSignals(node, resource: resource) }
        var system = SystemState()
        if let node = e["system"] { system = readSystem(node) }
        var now = PackTest.defaultNow
        if let node = e["now"], let text = string(node, "now") {
            if let time = RFC3339.parse(text) {
                now = time
            } else {
                report("now must be an RFC 3339 time such as 2025-01-06T09:30:00Z, not '\(text)'", at: node, .invalidValue)
            }
        } else {
            // Without a time, off_hours keeps the value given (or its neutral false).
            setsOffHours = true
        }
        guard problems.count == before, let actor else { return nil }
        return PackTest(
            name: name, actor: actor, mutation: mutation, signals: signals, setsOffHours: setsOffHours, system: system,
            now: now, expect: expect, location: at.location)
    }

    /// The value node of `key` in a mapping node.
    static func child(_ at: Located, _ key: String) -> Located? {
        guard case .mapping(let mapping) = at.node else { return nil }
        for (k, v) in mapping where k.scalar?.string == key { return Located(node: v, file: at.file) }
        return nil
    }

    private func readActor(_ at: Located) -> Actor? {
        guard let e = entries(at, of: "an actor", allowed: ["id", "kind", "roles", "attributes"]) else { return nil }
        let id = require("id", in: e, of: "an actor").flatMap { string($0, "id") }
        let kind = require("kind", in: e, of: "an actor").flatMap { choice($0, "kind", Actor.Kind.self) }
        let roles = e["roles"].flatMap { strings($0, "a role") }?.map(\.0) ?? []
        var attributes = CELMap()
        if let node = e["attributes"] {
            if case .map(let map) = YAMLValue.value(of: node.node) {
                attributes = map
            } else {
                report("attributes must be a mapping", at: node, .invalidValue)
            }
        }
        guard let id, let kind else { return nil }
        return Actor(id: id, kind: kind, roles: roles, attributes: attributes)
    }

    /// A test's signals; with the resource of its mutation, the fields named under `zscores` and
    /// `first_seen` must be its numeric and `track_new` fields.
    private func readSignals(_ at: Located, resource: ResourceSchema?) -> (Signals, Bool) {
        var signals = Signals.neutral
        guard let e = entries(at, of: "signals", allowed: Signals.fieldNames) else { return (signals, false) }
        for (key, _, node) in e.items {
            switch key {
            case "amount_zscore": signals.amountZScore = double(node, key) ?? 0
            case "resource_amount_zscore": signals.resourceAmountZScore = double(node, key) ?? 0
            case "actor_rate_1m": signals.actorRate1m = int(node, key) ?? 0
            case "actor_rate_1h": signals.actorRate1h = int(node, key) ?? 0
            case "first_time": signals.firstTime = bool(node, key) ?? false
            case "off_hours": signals.offHours = bool(node, key) ?? false
            case "zscores":
                let numeric = resource.map { schema in
                    schema.fieldOrder.filter { [.number, .integer].contains(schema.fields[$0]?.type) }
                }
                for (field, _, value) in entries(node, of: "zscores", allowed: numeric)?.items ?? [] {
                    signals.zscores[field] = double(value, "a z-score")
                }
            case "first_seen":
                for (field, _, value) in entries(node, of: "first_seen", allowed: resource?.trackedFields)?.items ?? [] {
                    signals.firstSeen[field] = bool(value, "first_seen")
                }
            default: break
            }
        }
        return (signals, e["off_hours"] != nil)
    }

    private func readSystem(_ at: Located) -> SystemState {
        var system = SystemState()
        guard let e = entries(at, of: "system", allowed: ["freeze", "queue_depth", "rollback_rate_1h"]) else {
            return system
        }
        if let node = e["freeze"] { system.freeze = bool(node, "freeze") ?? false }
        if let node = e["queue_depth"] { system.queueDepth = int(node, "queue_depth") ?? 0 }
        if let node = e["rollback_rate_1h"] { system.rollbackRate1h = double(node, "rollback_rate_1h") ?? 0 }
        return system
    }

    private func readExpectation(_ at: Located, test: String) -> PackTest.Expectation {
        var expect = PackTest.Expectation()
        guard let e = entries(at, of: "expect", allowed: Self.expectKeys) else { return expect }
        if e.items.isEmpty { report("\(test): expect names nothing to check", at: at, .missingKey) }
        if let node = e["tier"] { expect.tier = choice(node, "tier", Tier.self) }
        if let node = e["score"] { expect.score = int(node, "score") }
        if let node = e["rules"] {
            var ids: [String] = []
            if let items = sequence(node, "rules") {
                for item in items {
                    guard let id = string(item, "a rule id") else { continue }
                    if ruleLocations[id] == nil {
                        report(
                            Suggestion.message("\(test) expects unknown rule '\(id)'", word: id, candidates: ruleLocations.keys),
                            at: item, .unknownRule)
                    }
                    ids.append(id)
                }
            }
            expect.rules = ids
        }
        if let node = e["approvals"] {
            let poolsBefore = pools.count
            expect.approvals = readApprovals(node).groups
            pools.removeSubrange(poolsBefore...)
        }
        if let node = e["max_class"], let text = string(node, "max_class") {
            if classRank[text] == nil {
                report(
                    Suggestion.message("undeclared data class '\(text)'", word: text, candidates: classes), at: node,
                    .undeclaredClass)
            }
            expect.maxClass = text
        }
        if let node = e["valid"] { expect.valid = bool(node, "valid") ?? true }
        if let node = e["issues"] {
            expect.issues = strings(node, "an expected issue")?.map(\.0) ?? []
            if expect.valid {
                report("issues are checked only with valid: false", at: node, .invalidValue)
            }
        }
        return expect
    }
}
