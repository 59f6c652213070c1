@testable import AirlockCore
import CEL
import Testing

/// `airlock policy insights`: rules credited with the reviews they opened, low-tier paths with
/// their rollbacks, and the suggestions drawn from them.
@Suite struct InsightsTests {
    static let inputs = #"{"actor":{"id":"agent-7","kind":"agent","roles":[],"attributes":{}},"system":{"freeze":false,"queue_depth":0,"rollback_rate_1h":0},"decision_us":100}"#

    /// A recorded case of `resource` decided `tier`, with `reasons` as (rule, tier named).
    static func recorded(
        _ id: String, resource: String = "payments.transfer", tier: Tier, reasons: [(String, Tier?)], outcome: (inout RecordedCase.Outcome) -> Void = { _ in }
    ) throws -> RecordedCase {
        let document = #"{"resource":"\#(resource)","operation":"create","changes":{"amount":1}}"#
        let list = reasons.map { rule, named in
            #"{"rule":"\#(rule)","message":"m","values":{}"# + (named.map { #","tier":"\#($0.rawValue)""# } ?? "") + "}"
        }.joined(separator: ",")
        let decided = #"{"tier":"\#(tier.rawValue)","routed_tier":"\#(tier.rawValue)","score":0,"reasons":[\#(list)],"#
            + #""evaluated_at":"2026-01-06T10:00:00Z","policy":{"name":"p","version":"v1"},"inputs":\#(inputs)}"#
        var recorded = try RecordedCase(mutationID: id, submitted: document, decided: decided)
        outcome(&recorded.outcome)
        return recorded
    }

    @Test func theRuleThatNamedTheTierIsCreditedWithTheReview() throws {
        let cases = [
            try Self.recorded("m1", tier: .high, reasons: [("large", .high), ("new-payee", .medium)]) {
                $0.reviewOpenedAt = 0
                $0.approvedByPerson = true
                $0.reviewSeconds = 30
            },
            try Self.recorded("m2", tier: .high, reasons: [("large", .high)]) {
                $0.reviewOpenedAt = 0
                $0.rejectedByPerson = true
                $0.reviewSeconds = 90
            },
        ]
        #expect(cases[0].decidingRules == ["large"])
        let insights = Insights(cases)
        let rows = Dictionary(uniqueKeysWithValues: insights.rows.map { ($0.path, $0) })
        let large = try #require(rows["large"])
        #expect(large.decisions == 2 && large.reviews == 2 && large.approved == 1 && large.rejected == 1)
        #expect(large.approvalRate == 0.5)
        #expect(large.medianReviewSeconds == 30)
        let payee = try #require(rows["new-payee"])
        #expect(payee.decisions == 1 && payee.reviews == 0, "it matched but did not decide the tier")
        #expect(insights.rows.first?.path == "large", "most reviews first")
    }

    @Test func nearlyAlwaysApprovedIsACandidateToRelaxOnlyPastTheMinimum() throws {
        var cases: [RecordedCase] = []
        for i in 0..<20 {
            cases.append(try Self.recorded("m\(i)", tier: .high, reasons: [("review-all", .high)]) {
                $0.reviewOpenedAt = 0
                $0.approvedByPerson = true
            })
        }
        var insights = Insights(cases)
        #expect(insights.suggestions(for: insights.rows[0]) == [.relax])
        insights = Insights(Array(cases.prefix(19)))
        #expect(insights.suggestions(for: insights.rows[0]).isEmpty, "19 reviews are fewer than the minimum of 20")
        cases[0].outcome.rolledBack = true
        insights = Insights(cases)
        #expect(insights.suggestions(for: insights.rows[0]).isEmpty, "a rolled-back approval says the review mattered")
        cases[0].outcome.rolledBack = false
        cases[1].outcome.approvedByPerson = false
        cases[1].outcome.rejectedByPerson = true
        insights = Insights(cases)
        #expect(insights.rows[0].approvalRate == 0.95)
        #expect(insights.suggestions(for: insights.rows[0]) == [.relax], "95% is at the threshold")
        cases[2].outcome.approvedByPerson = false
        cases[2].outcome.rejectedByPerson = true
        insights = Insights(cases)
        #expect(insights.suggestions(for: insights.rows[0]).isEmpty, "90% approved is below it")
    }

    @Test func aLowTierPathWithRollbacksIsACandidateToTighten() throws {
        let cases = [
            try Self.recorded("m1", resource: "catalog.product", tier: .low, reasons: []) { $0.rolledBack = true },
            try Self.recorded("m2", resource: "catalog.product", tier: .low, reasons: []),
            try Self.recorded("m3", tier: .low, reasons: [("small-ok", .low)]),
        ]
        let insights = Insights(cases)
        let rows = Dictionary(uniqueKeysWithValues: insights.rows.map { ($0.path, $0) })
        let path = try #require(rows["(default) catalog.product"], "\(insights.rows.map(\.path))")
        #expect(path.lowDecisions == 2 && path.lowRolledBack == 1)
        #expect(insights.suggestions(for: path) == [.tighten])
        let small = try #require(rows["small-ok"])
        #expect(small.lowDecisions == 1 && small.lowRolledBack == 0)
        #expect(insights.suggestions(for: small).isEmpty)
        #expect(insights.rows.first?.path == "(default) catalog.product", "rollbacks rank before quiet paths")
    }
}
