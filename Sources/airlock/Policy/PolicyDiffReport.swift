import AirlockCore
import CEL

/// `airlock policy diff` as text: both packs, then each section that differs. A changed setting
/// reads `key: old → new` (a long or multi-line one, `- old` and `+ new` on lines of their
/// own); parts added, removed or changed are marked `+`, `-`, `~`.
struct PolicyDiffReport {
    var diff: PolicyDiff
    var old: ComparedPack
    var new: ComparedPack

    /// The report's lines.
    var lines: [String] {
        var out = [
            "old: \(old.label) — \(diff.old.name), version \(Self.short(diff.old.version))",
            "new: \(new.label) — \(diff.new.name), version \(Self.short(diff.new.version))",
        ]
        guard !diff.isEmpty else {
            out.append("no changes")
            return out
        }
        if diff.sameVersion {
            out.append("same version: every mutation is decided alike; only the inline tests differ")
        }
        func section(_ title: String, _ body: [String]) {
            guard !body.isEmpty else { return }
            out += ["", title] + body
        }
        section("pack", Self.settings(diff.pack, as: .changed, indent: 2))
        section("classes", Self.items(diff.classes, indent: 2))
        section("resources", diff.resources.flatMap(Self.resource))
        section("lists", diff.lists.flatMap(Self.list))
        section("business hours", Self.settings(diff.businessHours, as: .changed, indent: 2))
        section(
            "tiers",
            diff.tiers.flatMap { tier in ["  \(tier.tier)"] + Self.settings(tier.settings, as: .changed, indent: 4) })
        section("defaults", Self.settings(diff.defaults, as: .changed, indent: 2))
        section(
            "rules",
            diff.rules.flatMap { rule in
                ["  \(Self.mark(rule.change)) \(rule.id)"] + Self.settings(rule.settings, as: rule.change, indent: 6, rule: true)
            } + diff.ruleMoves.map(Self.moveLine))
        section(
            "tests (not part of the version)", diff.tests.map { "  \(Self.mark($0.change)) \($0.name)" })
        return out
    }

    private static func resource(_ resource: PolicyDiff.ResourceChange) -> [String] {
        var out = ["  \(mark(resource.change)) \(resource.name)"]
        guard resource.change != .removed else { return out }
        out += settings(resource.settings, as: resource.change, indent: 6)
        let operations = resource.operations
        if resource.change == .added {
            out.append("      operations: \(operations.added.map(text).joined(separator: ", "))")
        } else if !operations.isEmpty {
            let changes = operations.added.map { "+ \(text($0))" } + operations.removed.map { "- \(text($0))" }
            out.append("      operations: \(changes.joined(separator: ", "))")
        }
        if !resource.fields.isEmpty { out.append("      fields") }
        for field in resource.fields {
            switch field.change {
            case .added:
                let content = field.settings.map { "\($0.key): \(text($0.new ?? .null))" }
                out.append("        + \(field.name): {\(content.joined(separator: ", "))}")
            case .removed:
                out.append("        - \(field.name)")
            case .changed:
                out.append("        ~ \(field.name)")
                out += settings(field.settings, as: .changed, indent: 12)
            }
        }
        return out
    }

    private static func list(_ list: PolicyDiff.ListChange) -> [String] {
        switch list.change {
        case .added: ["  + \(list.name): \(text(.list(list.items.added)))"]
        case .removed: ["  - \(list.name): \(text(.list(list.items.removed)))"]
        case .changed: ["  ~ \(list.name)"] + items(list.items, indent: 6)
        }
    }

    private static func items(_ items: PolicyDiff.ItemChanges, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var out = items.added.map { "\(pad)+ \(text($0))" } + items.removed.map { "\(pad)- \(text($0))" }
        if let order = items.reordered {
            out.append("\(pad)order: \(text(.list(order.old))) → \(text(.list(order.new)))")
        }
        return out
    }

    /// A moved rule: its positions, and what it follows now and before when removals and
    /// additions elsewhere leave its position the same ("position 21 → 21" says nothing).
    static func moveLine(_ move: PolicyDiff.RuleMove) -> String {
        guard move.oldPosition == move.newPosition else {
            return "  moved \(move.id): position \(move.oldPosition) → \(move.newPosition)"
        }
        func after(_ id: String?) -> String { id.map { "after \($0)" } ?? "first" }
        return "  moved \(move.id): position \(move.newPosition), now \(after(move.newAfter)) (was \(after(move.oldAfter)))"
    }

    /// Setting lines: `key: value` for something added or removed, `key: old → new` for a change.
    private static func settings(
        _ settings: [PolicyDiff.SettingChange], as change: PolicyDiff.Change, indent: Int, rule: Bool = false
    ) -> [String] {
        let pad = String(repeating: " ", count: indent)
        return settings.flatMap { setting -> [String] in
            switch change {
            case .added: return ["\(pad)\(setting.key): \(text(setting.new ?? .null))"]
            case .removed: return ["\(pad)\(setting.key): \(text(setting.old ?? .null))"]
            case .changed: break
            }
            let before = setting.old.map(text) ?? unset(setting.key, rule: rule)
            let after = setting.new.map(text) ?? unset(setting.key, rule: rule)
            if before.count + after.count > 70 || (before + after).contains("\n") {
                return ["\(pad)\(setting.key):", "\(pad)  - \(before)", "\(pad)  + \(after)"]
            }
            return ["\(pad)\(setting.key): \(before) → \(after)"]
        }
    }

    /// What a setting left out means.
    private static func unset(_ key: String, rule: Bool) -> String {
        switch (key, rule) {
        case ("resource", true): "(every resource)"
        case ("approvals", true): "(the tier's pool)"
        case ("sla", true): "(the tier's)"
        case ("reject_after", true): "(1)"
        default: "(not set)"
        }
    }

    private static func mark(_ change: PolicyDiff.Change) -> String {
        switch change {
        case .added: "+"
        case .removed: "-"
        case .changed: "~"
        }
    }

    /// A value as a pack would write it in flow style: strings bare, lists `[a, b]`, maps
    /// `{key: value}`.
    static func text(_ value: Value) -> String {
        switch value {
        case .string(let string): string.isEmpty ? "\"\"" : string
        case .list(let items): "[" + items.map(text).joined(separator: ", ") + "]"
        case .map(let map): "{" + map.entries.map { "\(text($0.key.value)): \(text($0.value))" }.joined(separator: ", ") + "}"
        default: value.description
        }
    }

    /// The first 12 hex digits of a version, as the console shows it.
    static func short(_ version: String) -> String { String(version.prefix(12)) }
}
