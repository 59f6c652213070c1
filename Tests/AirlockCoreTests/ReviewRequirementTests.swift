import AirlockCore
import CEL
import Foundation
import Testing

/// Who must approve, and how long they have: `approvals` in its three forms, `reject_after`,
/// a rule's own `sla`, and the `on_timeout` actions each tier may name.
@Suite("Review requirements")
struct ReviewRequirementTests {
    static func decide(_ rules: String, _ mutation: Mutation = Fixtures.transfer(5), extra: String = "") throws -> Decision {
        let engine = PolicyEngine(pack: try Fixtures.pack(rules: rules, extra: extra))
        return try engine.decide(
            mutation: mutation, actor: Fixtures.agent, signals: .neutral, system: SystemState(), now: Fixtures.monday)
    }

    @Test("all_of asks several pools at once; reject_after is carried to the requirement")
    func allOf() throws {
        let d = try Self.decide("""
              - id: big
                resource: pay
                when: "true"
                tier: high
                approvals: { all_of: [{ pool: finance, count: 2 }, { pool: security }], reject_after: 2 }
            """)
        #expect(d.approvals?.groups == [ApprovalGroup(pool: "finance", count: 2), ApprovalGroup(pool: "security", count: 1)])
        #expect(d.approvals?.rejectAfter == 2)
        #expect(d.requirement?.rejectAfter == 2)
        guard case .map(let map)? = d.approvals?.jsonValue else { Issue.record("no approvals"); return }
        #expect(map["reject_after"].map(CanonicalJSON.encode) == "2")
    }

    @Test("the single-group and list forms stay valid; several rules merge, the largest reject_after wins")
    func merging() throws {
        let d = try Self.decide("""
              - id: one
                resource: pay
                when: "true"
                tier: high
                approvals: { pool: finance, count: 1, reject_after: 3 }
              - id: two
                resource: pay
                when: "true"
                tier: high
                approvals: [{ pool: finance, count: 2 }, { pool: legal }]
            """)
        #expect(d.approvals?.groups == [ApprovalGroup(pool: "finance", count: 2), ApprovalGroup(pool: "legal", count: 1)])
        #expect(d.approvals?.rejectAfter == 3)
    }

    @Test("a rule's sla shortens the tier's; the shortest of the matching rules counts")
    func ruleSLA() throws {
        let d = try Self.decide("""
              - id: slow
                resource: pay
                when: "true"
                tier: high
                sla: 2h
              - id: fast
                resource: pay
                when: "true"
                tier: high
                sla: 15m
            """)
        #expect(d.approvals?.slaSeconds == 900)
        let plain = try Self.decide("  - id: h\n    resource: pay\n    when: \"true\"\n    tier: high\n")
        #expect(plain.approvals?.slaSeconds == 3600)
    }

    @Test("bad approvals and SLAs are refused where they stand")
    func badForms() {
        let cases: [(String, String)] = [
            ("approvals: { all_of: [{ pool: a }], pool: b }", "either all_of or one group"),
            ("approvals: { all_of: [] }", "at least one group"),
            ("approvals: { pool: a, reject_after: 0 }", "reject_after must be at least 1"),
            ("approvals: { all_of: [{ pool: a, reject_after: 2 }] }", "reject_after"),
            ("sla: soon", "sla must be a duration"),
            ("sla: 400d", "at most 365d"),
        ]
        for (line, message) in cases {
            let text = Fixtures.base + "rules:\n  - id: r\n    resource: pay\n    when: \"true\"\n    tier: high\n    \(line)\n"
            let problems = Fixtures.problems(text)
            #expect(problems.contains { $0.message.contains(message) }, "\(line): \(problems.map(\.message))")
            let lastLine = text.components(separatedBy: "\n").count - 1
            #expect(problems.allSatisfy { $0.location.line == lastLine }, "\(line): \(problems.map(\.location))")
        }
    }

    @Test("on_timeout: high takes reject or expire, medium unreviewed or rollback; approve is refused with why")
    func onTimeoutChoices() throws {
        func problems(_ tiers: String) -> [String] {
            let text = Fixtures.base.replacingOccurrences(
                of: "  medium: { from_score: 30, pool: reviewers, sla: 4h }\n  high: { from_score: 60, pool: approvers, count: 2, sla: 1h, escalate_to: leads }",
                with: tiers)
            return Fixtures.problems(text).map(\.message)
        }
        #expect(problems("  medium: { from_score: 30, pool: r, on_timeout: approve }") == [
            "tiers.medium.on_timeout must be unreviewed or rollback, not 'approve' (no timeout approves a mutation)"
        ])
        #expect(problems("  high: { from_score: 60, pool: r, on_timeout: unreviewed }") == [
            "tiers.high.on_timeout must be reject or expire, not 'unreviewed'"
        ])
        #expect(problems("  high: { from_score: 60, pool: r, on_timeout: expir }").first?.contains("did you mean 'expire'") == true)
        let pack = try PolicyPack.load(
            name: "ok.yaml",
            text: Fixtures.base.replacingOccurrences(of: "sla: 4h }", with: "sla: 4h, on_timeout: rollback }"))
        #expect(pack.tiers.medium.onTimeout == .rollback)
        #expect(pack.tiers.high.onTimeout == .reject)
    }

    @Test("a new reject_after or rule sla changes the pack's version; an unchanged pack keeps it")
    func version() throws {
        let rule = "  - id: r\n    resource: pay\n    when: \"true\"\n    tier: high\n"
        let plain = try Fixtures.pack(rules: rule).version
        #expect(try Fixtures.pack(rules: rule).version == plain)
        #expect(try Fixtures.pack(rules: rule + "    sla: 10m\n").version != plain)
        #expect(try Fixtures.pack(rules: rule + "    approvals: { pool: a, reject_after: 2 }\n").version
            != Fixtures.pack(rules: rule + "    approvals: { pool: a }\n").version)
    }
}
