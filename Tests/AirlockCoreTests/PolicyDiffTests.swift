import AirlockCore
import CEL
import Foundation
import Testing

/// `PolicyDiff`: every kind of change a pack can carry shows, in its section, with old and new
/// values; layout does not; the inline tests are compared apart from the version.
@Suite struct PolicyDiffTests {
    // MARK: Unchanged

    @Test func aPackComparedWithItselfHasNoChanges() throws {
        let pack = try Self.pack()
        let diff = PolicyDiff(from: pack, to: pack)
        #expect(diff.isEmpty)
        #expect(diff.sameVersion)
        #expect(Self.field(diff.jsonValue, "changed") == "false")
    }

    @Test func layoutCommentsKeyOrderAndTheSplitIntoFilesAreNoChange() throws {
        let pack = try Self.pack()
        let reformatted = try Self.pack(
            edits: [
                ("policy: diff-test\n", "# a comment\npolicy: \"diff-test\"\n"),
                ("when: mutation.changes.amount >= 10000.0", "when: |\n      mutation.changes.amount\n        >= 10000.0"),
                ("{ from_score: 30, pool: reviewers, sla: 4h }", "{ sla: 4h, pool: reviewers, from_score: 30, count: 1 }"),
                ("defaults: { tier: low, on_error: high }", "defaults:\n  on_error: high\n  tier: low"),
            ])
        let rules = try #require(Self.base.range(of: "rules:\n"))
        let split = try PolicyPack.load(files: [
            ("a.yaml", String(Self.base[..<rules.lowerBound])), ("b.yaml", String(Self.base[rules.lowerBound...])),
        ])
        for other in [reformatted, split] {
            let diff = PolicyDiff(from: pack, to: other)
            #expect(diff.isEmpty, "\(diff.jsonValue)")
        }
    }

    // MARK: Rules

    @Test func aChangedRuleShowsEachChangedSettingOldToNew() throws {
        let diff = try Self.diff(edits: [
            ("when: mutation.changes.amount >= 10000.0\n    tier: high", "when: mutation.changes.amount >= 5000.0\n    tier: medium"),
            ("approvals: { pool: finance, count: 2 }\n", "sla: 30m\n"),
            ("reason: Large payments need two finance approvals", "reason: Large payments are reviewed"),
        ])
        #expect(diff.rules.map(\.id) == ["large"])
        let rule = try #require(diff.rules.first)
        #expect(rule.change == .changed)
        #expect(rule.settings.map(\.key) == ["when", "tier", "approvals", "sla", "reason"])
        #expect(Self.pair(rule, "when") == "mutation.changes.amount >= 10000.0 → mutation.changes.amount >= 5000.0")
        #expect(Self.pair(rule, "tier") == "high → medium")
        #expect(Self.pair(rule, "approvals") == #"[{"count":2,"pool":"finance"}] → ∅"#)
        #expect(Self.pair(rule, "sla") == "∅ → 30m")
        #expect(Self.pair(rule, "reason") == "Large payments need two finance approvals → Large payments are reviewed")
        #expect(diff.ruleMoves.isEmpty)
        #expect(!diff.sameVersion)
    }

    @Test func aScoreAndAScopeChangeShow() throws {
        let diff = try Self.diff(edits: [
            ("    score: 40", "    score: 25"), ("    resource: person\n", ""),
        ])
        let rule = try #require(diff.rules.first { $0.id == "pii-edit" })
        #expect(Self.pair(rule, "score") == "40 → 25")
        #expect(Self.pair(rule, "resource") == #"["person"] → ∅"#)
    }

    @Test func rulesAddedAndRemovedListTheirWholeContent() throws {
        let diff = try Self.diff(edits: [
            (Self.piiRule, "  - id: night\n    when: signals.off_hours\n    score: 15\n    reason: Off hours\n")
        ])
        // The removed rule stays where it was, after its old neighbour.
        #expect(diff.rules.map(\.id) == ["pii-edit", "night"])
        let added = try #require(diff.rules.first { $0.id == "night" })
        #expect(added.change == .added)
        #expect(added.settings.map(\.key) == ["when", "score", "reason"])
        #expect(added.settings.allSatisfy { $0.old == nil && $0.new != nil })
        let removed = try #require(diff.rules.first { $0.id == "pii-edit" })
        #expect(removed.change == .removed)
        #expect(removed.settings.map(\.key) == ["resource", "when", "score", "reason"])
        #expect(removed.settings.allSatisfy { $0.old != nil && $0.new == nil })
        #expect(diff.ruleMoves.isEmpty)
    }

    @Test func aMovedRuleIsAMoveNotAChange() throws {
        // `pii-edit` goes first: it moves from position 3 to 1; the other two keep their order.
        let withoutPII = Self.base.replacingOccurrences(of: Self.piiRule, with: "")
        let moved = withoutPII.replacingOccurrences(of: "rules:\n", with: "rules:\n" + Self.piiRule)
        let diff = PolicyDiff(from: try Self.pack(), to: try PolicyPack.load(name: "moved.yaml", text: moved))
        #expect(diff.rules.isEmpty)
        #expect(diff.ruleMoves.map { "\($0.id) \($0.oldPosition)→\($0.newPosition)" } == ["pii-edit 3→1"])
        #expect(!diff.isEmpty && !diff.sameVersion)
    }

    @Test func aMoveSaysWhatTheRuleFollowsNowAndBefore() throws {
        // blocked-payee removed, pii-edit put before large: old order blocked-payee, large,
        // pii-edit; new order pii-edit, large. Whichever of the two is the move, it says what it
        // follows in each pack (a move that keeps its position, 2 → 2, says nothing else).
        let blocked = """
              - id: blocked-payee
                resource: pay
                when: mutation.changes.to in lists.blocked
                tier: block
                reason: "payee ${mutation.changes.to} is blocked"

            """
        var text = Self.base.replacingOccurrences(of: blocked, with: "").replacingOccurrences(of: Self.piiRule, with: "")
        text = text.replacingOccurrences(of: "rules:\n", with: "rules:\n" + Self.piiRule)
        let diff = PolicyDiff(from: try Self.pack(), to: try PolicyPack.load(name: "moved.yaml", text: text))
        let move = try #require(diff.ruleMoves.first, "\(diff.jsonValue)")
        #expect(diff.ruleMoves.count == 1)
        switch move.id {
        case "large":
            #expect(move.oldPosition == 2 && move.newPosition == 2)
            #expect(move.oldAfter == "blocked-payee" && move.newAfter == "pii-edit")
        case "pii-edit":
            #expect(move.oldPosition == 3 && move.newPosition == 1)
            #expect(move.oldAfter == "large" && move.newAfter == nil)
        default:
            Issue.record("moved \(move.id)")
        }
    }

    @Test func aRuleAddedInFrontMovesNoOther() throws {
        let front = "  - id: first\n    when: actor.kind == 'agent'\n    score: 1\n"
        let diff = try Self.diff(edits: [("rules:\n", "rules:\n" + front)])
        #expect(diff.rules.map(\.id) == ["first"])
        #expect(diff.ruleMoves.isEmpty)
    }

    // MARK: Tiers, defaults, business hours, the pack

    @Test func tierSettingsShowAsThePackWritesThem() throws {
        let diff = try Self.diff(edits: [
            ("medium: { from_score: 30, pool: reviewers, sla: 4h }", "medium: { pool: reviewers, sla: 2m, on_timeout: rollback }"),
            ("count: 2, sla: 1h, escalate_to: leads", "count: 3, sla: 1h30m"),
            ("block: { from_score: 100 }", "block: { from_score: 90 }"),
        ])
        #expect(diff.tiers.map(\.tier) == ["medium", "high", "block"])
        let medium = try #require(diff.tiers.first)
        #expect(medium.settings.map(\.key) == ["from_score", "sla", "on_timeout"])
        #expect(Self.pair(medium.settings, "from_score") == "30 → ∅")
        #expect(Self.pair(medium.settings, "sla") == "4h → 2m")
        #expect(Self.pair(medium.settings, "on_timeout") == "unreviewed → rollback")
        #expect(Self.pair(diff.tiers[1].settings, "count") == "2 → 3")
        #expect(Self.pair(diff.tiers[1].settings, "sla") == "1h → 1h30m")
        #expect(Self.pair(diff.tiers[1].settings, "escalate_to") == "leads → ∅")
        #expect(Self.pair(diff.tiers[2].settings, "from_score") == "100 → 90")
    }

    @Test func defaultsBusinessHoursAndThePacksOwnSettingsShow() throws {
        let diff = try Self.diff(edits: [
            ("policy: diff-test", "policy: diff-test-2"),
            ("description: Packs for the diff tests.\n", ""),
            ("on_error: high", "on_error: block"),
            (#"from: "09:00", to: "17:00", utc_offset: "+02:00""#, #"from: "08:30", to: "17:00", utc_offset: "-05:30""#),
            ("days: [mon-fri]", "days: [mon-sat]"),
        ])
        #expect(Self.pair(diff.pack, "policy") == "diff-test → diff-test-2")
        #expect(Self.pair(diff.pack, "description") == "Packs for the diff tests. → ∅")
        #expect(diff.defaults.map(\.key) == ["on_error"])
        #expect(Self.pair(diff.defaults, "on_error") == "high → block")
        #expect(diff.businessHours.map(\.key) == ["days", "from", "utc_offset"])
        #expect(Self.pair(diff.businessHours, "from") == "09:00 → 08:30")
        #expect(Self.pair(diff.businessHours, "utc_offset") == "+02:00 → -05:30")
    }

    @Test func businessHoursRemovedListEveryKey() throws {
        let diff = try Self.diff(edits: [
            (#"business_hours: { days: [mon-fri], from: "09:00", to: "17:00", utc_offset: "+02:00" }"# + "\n", "")
        ])
        #expect(diff.businessHours.map(\.key) == ["days", "from", "to", "utc_offset"])
        #expect(diff.businessHours.allSatisfy { $0.old != nil && $0.new == nil })
        #expect(Self.pair(diff.businessHours, "to") == "17:00 → ∅")
    }

    // MARK: Lists and classes

    @Test func listItemsAddedAndRemovedAndListsAddedAndRemoved() throws {
        let diff = try Self.diff(edits: [
            ("blocked: [acc-1, acc-2]", "blocked: [acc-2, acc-3]\n  vip: [acc-7]"),
            ("  limits: [10, 20]\n", ""),
        ])
        // A removed part stays after its old neighbour.
        #expect(diff.lists.map(\.name) == ["blocked", "limits", "vip"])
        let blocked = diff.lists[0]
        #expect(blocked.change == .changed)
        #expect(blocked.items.added.map(Self.text) == ["acc-3"])
        #expect(blocked.items.removed.map(Self.text) == ["acc-1"])
        #expect(blocked.items.reordered == nil)
        #expect(diff.lists[1].change == .removed && diff.lists[1].items.removed.map(Self.text) == ["10", "20"])
        #expect(diff.lists[2].change == .added && diff.lists[2].items.added.map(Self.text) == ["acc-7"])
    }

    @Test func aListInAnotherOrderIsAChangeOfOrderOnly() throws {
        let diff = try Self.diff(edits: [("limits: [10, 20]", "limits: [20, 10]")])
        let limits = try #require(diff.lists.first)
        #expect(limits.items.added.isEmpty && limits.items.removed.isEmpty)
        #expect(limits.items.reordered.map { $0.new.map(Self.text) } == ["20", "10"])
        #expect(!diff.sameVersion)
    }

    @Test func numbersOfAnotherTypeAreAChange() throws {
        // `lists.limits` becomes a list(double): conditions see another type.
        let diff = try Self.diff(edits: [("limits: [10, 20]", "limits: [10.0, 20]")])
        let limits = try #require(diff.lists.first)
        #expect(limits.items.added.map(Self.text) == ["10.0", "20.0"])
        #expect(limits.items.removed.map(Self.text) == ["10", "20"])
    }

    @Test func classesAddedAndReorderedShow() throws {
        let diff = try Self.diff(edits: [
            ("classes: [public, internal, financial, pii]", "classes: [public, financial, internal, pii, restricted]")
        ])
        #expect(diff.classes.added.map(Self.text) == ["restricted"])
        #expect(diff.classes.removed.isEmpty)
        let order = try #require(diff.classes.reordered)
        #expect(order.old.map(Self.text) == ["public", "internal", "financial", "pii"])
        #expect(order.new.map(Self.text) == ["public", "financial", "internal", "pii", "restricted"])
    }

    // MARK: Resources

    @Test func resourceFieldsAddedRemovedAndChanged() throws {
        let diff = try Self.diff(edits: [
            ("max: 1000000, class: financial", "max: 50000, class: pii"),
            ("      note: { type: string, max_length: 50 }\n", "      memo: { type: string, max_length: 140 }\n"),
            ("operations: [create]", "operations: [create, update]\n    reversible: true"),
        ])
        #expect(diff.resources.map(\.name) == ["pay"])
        let pay = try #require(diff.resources.first)
        #expect(pay.change == .changed)
        #expect(pay.settings.map(\.key) == ["reversible"])
        #expect(Self.pair(pay.settings, "reversible") == "false → true")
        #expect(pay.operations.added.map(Self.text) == ["update"] && pay.operations.removed.isEmpty)
        #expect(pay.fields.map(\.name) == ["amount", "note", "memo"])
        let amount = pay.fields[0]
        #expect(amount.change == .changed)
        #expect(amount.settings.map(\.key) == ["max", "class"])
        #expect(Self.pair(amount.settings, "max") == "1000000.0 → 50000.0")
        #expect(Self.pair(amount.settings, "class") == "financial → pii")
        #expect(pay.fields[1].change == .removed)
        #expect(pay.fields[2].change == .added && Self.pair(pay.fields[2].settings, "max_length") == "∅ → 140")
    }

    @Test func resourcesAddedAndRemoved() throws {
        let person = """
              person:
                operations: [update, delete]
                reversible: true
                fields:
                  name: { type: string, class: pii }

            """
        let note = """
              note:
                description: A note on a record.
                operations: [create]
                fields:
                  text: { type: string, max_length: 500 }

            """
        let diff = try Self.diff(edits: [(person, note), (Self.piiRule, "")])
        #expect(Set(diff.resources.map(\.name)) == ["note", "person"])
        let added = try #require(diff.resources.first { $0.name == "note" })
        #expect(added.change == .added)
        #expect(Self.pair(added.settings, "description") == "∅ → A note on a record.")
        #expect(added.operations.added.map(Self.text) == ["create"])
        #expect(added.fields.map(\.name) == ["text"] && added.fields[0].change == .added)
        let removed = try #require(diff.resources.first { $0.name == "person" })
        #expect(removed.change == .removed && removed.operations.removed.map(Self.text) == ["update", "delete"])
    }

    // MARK: Tests

    @Test func testsAreComparedApartFromTheVersion() throws {
        let diff = try Self.diff(edits: [
            ("expect: { tier: low }", "expect: { tier: low, score: 0 }"),
            ("  - name: a large payment needs finance", "  - name: a large payment needs two finance approvals"),
        ])
        #expect(diff.sameVersion)
        #expect(!diff.isEmpty)
        let changes = Dictionary(uniqueKeysWithValues: diff.tests.map { ($0.name, $0.change) })
        #expect(
            changes == [
                "a large payment needs finance": .removed, "a large payment needs two finance approvals": .added,
                "a small payment passes": .changed,
            ])
    }

    // MARK: Properties

    /// Every edit above, one at a time.
    static let edits: [(String, String)] = [
        ("policy: diff-test", "policy: other"),
        ("classes: [public, internal, financial, pii]", "classes: [public, internal, pii, financial]"),
        ("sla: 4h", "sla: 5h"),
        ("count: 2, sla: 1h", "count: 1, sla: 1h"),
        ("on_error: high", "on_error: block"),
        ("utc_offset: \"+02:00\"", "utc_offset: Z"),
        ("[acc-1, acc-2]", "[acc-1]"),
        ("min: 0, max: 1000000", "min: 1, max: 1000000"),
        ("track_new: true", "track_new: false"),
        ("reversible: true", "reversible: false"),
        ("tier: block\n", "tier: high\n"),
        ("is blocked\"", "is refused\""),
    ]

    @Test(arguments: edits)
    func everyEditThatChangesTheVersionShowsAndReversesExactly(old: String, new: String) throws {
        let base = try Self.pack()
        let edited = try Self.pack(edits: [(old, new)])
        #expect(base.version != edited.version)
        let forward = PolicyDiff(from: base, to: edited)
        let backward = PolicyDiff(from: edited, to: base)
        #expect(!forward.isEmpty && !backward.isEmpty)
        // Something that says what changed, not only where.
        let said = Self.summary(forward).filter { line in
            line.contains("→") || line.hasPrefix("+") || line.hasPrefix("-") || line == "order"
                || line.hasSuffix(" added") || line.hasSuffix(" removed")
        }
        #expect(!said.isEmpty, "\(Self.summary(forward))")
        // The way back undoes the way there: the same parts, with old and new swapped.
        #expect(Self.summary(forward) == Self.summary(backward, swapped: true))
    }

    @Test func theJSONFormCarriesOldAndNewValues() throws {
        let diff = try Self.diff(edits: [("sla: 4h", "sla: 2m")])
        #expect(Self.field(diff.jsonValue, "tiers") == #"[{"settings":[{"key":"sla","new":"2m","old":"4h"}],"tier":"medium"}]"#)
        #expect(Self.field(diff.jsonValue, "rules") == "[]")
        #expect(Self.field(diff.jsonValue, "changed") == "true")
        #expect(Self.field(diff.jsonValue, "same_version") == "false")
    }

    @Test func theExamplePackAgainstItsShortSLAVariant() throws {
        let old = try Self.example("policies")
        let new = try Self.example("escalation")
        let diff = PolicyDiff(from: old, to: new)
        #expect(diff.pack.map(\.key) == ["policy"])
        #expect(Self.pair(diff.pack, "policy") == "\(old.name) → \(new.name)")
        #expect(diff.tiers.map(\.tier) == ["medium", "high"])
        #expect(diff.tiers.allSatisfy { $0.settings.map(\.key) == ["sla"] && Self.text(optional: $0.settings[0].new) == "2m" })
        #expect(diff.rules.isEmpty && diff.ruleMoves.isEmpty && diff.resources.isEmpty && diff.lists.isEmpty)
        #expect(diff.classes.isEmpty && diff.businessHours.isEmpty && diff.defaults.isEmpty)
        let onlyInOld = Set(old.tests.map(\.name)).subtracting(new.tests.map(\.name))
        #expect(!onlyInOld.isEmpty)
        #expect(Set(diff.tests.map(\.name)) == onlyInOld && diff.tests.allSatisfy { $0.change == .removed })
    }
}

// MARK: - Packs and helpers

extension PolicyDiffTests {
    static let piiRule = """
          - id: pii-edit
            resource: person
            when: data.max_rank >= classes.pii
            score: 40
            reason: Personal data

        """

    static let base = """
        policy: diff-test
        description: Packs for the diff tests.
        classes: [public, internal, financial, pii]
        business_hours: { days: [mon-fri], from: "09:00", to: "17:00", utc_offset: "+02:00" }
        tiers:
          medium: { from_score: 30, pool: reviewers, sla: 4h }
          high: { from_score: 60, pool: approvers, count: 2, sla: 1h, escalate_to: leads }
          block: { from_score: 100 }
        defaults: { tier: low, on_error: high }
        lists:
          blocked: [acc-1, acc-2]
          limits: [10, 20]
        resources:
          pay:
            operations: [create]
            fields:
              amount: { type: number, required: true, min: 0, max: 1000000, class: financial }
              to: { type: string, required: true, pattern: "^acc-[0-9]+$", track_new: true, class: internal }
              note: { type: string, max_length: 50 }
          person:
            operations: [update, delete]
            reversible: true
            fields:
              name: { type: string, class: pii }

        rules:
          - id: blocked-payee
            resource: pay
            when: mutation.changes.to in lists.blocked
            tier: block
            reason: "payee ${mutation.changes.to} is blocked"
          - id: large
            resource: pay
            when: mutation.changes.amount >= 10000.0
            tier: high
            approvals: { pool: finance, count: 2 }
            reason: Large payments need two finance approvals
        \(piiRule)
        tests:
          - name: a large payment needs finance
            actor: { id: agent-1, kind: agent }
            mutation: { resource: pay, operation: create, changes: { amount: 20000.0, to: acc-9 } }
            expect: { tier: high }
          - name: a small payment passes
            actor: { id: agent-1, kind: agent }
            mutation: { resource: pay, operation: create, changes: { amount: 5.0, to: acc-9 } }
            expect: { tier: low }

        """

    /// The base pack with each `(old, new)` text replaced; an edit whose text is not in the pack
    /// fails the test (it would compare the pack with itself).
    static func pack(edits: [(String, String)] = []) throws -> PolicyPack {
        var text = base
        for (old, new) in edits {
            let range = try #require(text.range(of: old), "the pack has no '\(old)'")
            text.replaceSubrange(range, with: new)
        }
        return try PolicyPack.load(name: "pack.yaml", text: text)
    }

    static func diff(edits: [(String, String)]) throws -> PolicyDiff {
        PolicyDiff(from: try pack(), to: try pack(edits: edits))
    }

    static func example(_ directory: String) throws -> PolicyPack {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/\(directory)")
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".yaml") }.sorted()
        return try PolicyPack.load(
            files: try names.map { ($0, try String(contentsOf: url.appendingPathComponent($0), encoding: .utf8)) })
    }

    /// A value as text: strings bare, anything else as canonical JSON.
    static func text(_ value: Value) -> String {
        if case .string(let string) = value { return string }
        return CanonicalJSON.encode(value)
    }

    static func text(optional value: Value?) -> String? { value.map(text) }

    /// A setting's change as `old → new` (`∅` where unset); `nil` when the key did not change.
    static func pair(_ settings: [PolicyDiff.SettingChange], _ key: String) -> String? {
        settings.first { $0.key == key }.map { "\(text(optional: $0.old) ?? "∅") → \(text(optional: $0.new) ?? "∅")" }
    }

    static func pair(_ rule: PolicyDiff.RuleChange, _ key: String) -> String? {
        pair(rule.settings, key)
    }

    static func field(_ value: Value, _ key: String) -> String? {
        guard case .map(let map) = value else { return nil }
        return map[key].map { CanonicalJSON.encode($0) }
    }

    /// Every change of a diff as lines, old and new swapped (and added with removed) when asked.
    static func summary(_ diff: PolicyDiff, swapped: Bool = false) -> [String] {
        func change(_ c: PolicyDiff.Change) -> String {
            switch (c, swapped) {
            case (.added, true): "removed"
            case (.removed, true): "added"
            default: c.rawValue
            }
        }
        func settings(_ s: [PolicyDiff.SettingChange]) -> [String] {
            s.map { setting in
                let (a, b) = swapped ? (setting.new, setting.old) : (setting.old, setting.new)
                return "\(setting.key): \(text(optional: a) ?? "-") → \(text(optional: b) ?? "-")"
            }
        }
        func items(_ i: PolicyDiff.ItemChanges) -> [String] {
            let (a, b) = swapped ? (i.removed, i.added) : (i.added, i.removed)
            return a.map { "+\(text($0))" } + b.map { "-\(text($0))" } + (i.reordered == nil ? [] : ["order"])
        }
        var out = settings(diff.pack) + items(diff.classes).sorted()
        for r in diff.resources {
            out += ["resource \(r.name) \(change(r.change))"] + settings(r.settings) + items(r.operations).sorted()
            for f in r.fields { out += ["field \(f.name) \(change(f.change))"] + settings(f.settings) }
        }
        for l in diff.lists { out += ["list \(l.name) \(change(l.change))"] + items(l.items).sorted() }
        out += settings(diff.businessHours) + settings(diff.defaults)
        for t in diff.tiers { out += ["tier \(t.tier)"] + settings(t.settings) }
        for r in diff.rules { out += ["rule \(r.id) \(change(r.change))"] + settings(r.settings) }
        out += diff.ruleMoves.map { move in
            let (from, to) = swapped ? (move.newPosition, move.oldPosition) : (move.oldPosition, move.newPosition)
            return "\(move.id) \(from)→\(to)"
        }.sorted()
        return out
    }
}
