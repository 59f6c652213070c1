import AirlockEngine
import AirlockStore
import Foundation
import Testing

/// `ShadowReport`: how the candidate's disagreements divide among rules.
@Suite("Shadow report")
struct ShadowReportTests {
    static func result(_ id: String, _ active: String, _ shadow: String, _ activeRules: [String], _ shadowRules: [String]) -> ShadowResult {
        ShadowResult(
            mutationID: id, shadowVersion: "cand", activeVersion: "act", at: Date(timeIntervalSince1970: 1_767_693_600),
            resource: "crm.customer", activeTier: active, shadowTier: shadow, activeRules: activeRules, shadowRules: shadowRules,
            shadowDecision: nil)
    }

    @Test("a rule both match, in a disagreement with the same rules on both sides, is counted as changed")
    func sameRulesOtherTier() {
        let report = ShadowReport(
            version: "cand", running: nil,
            results: [
                Self.result("m-1", "high", "medium", ["customer-delete"], ["customer-delete"]),
                Self.result("m-2", "high", "high", ["customer-delete"], ["customer-delete"]),  // agrees: not counted
                Self.result("m-3", "medium", "high", ["pii-edit"], ["pii-edit", "bulk-edit"]),
            ])
        #expect(report.disagreements == 2)
        let byRule = Dictionary(uniqueKeysWithValues: report.rules.map { ($0.rule, $0) })
        #expect(byRule["customer-delete"]?.matchedBoth == 1, "\(report.rules)")
        #expect(byRule["bulk-edit"]?.shadowOnly == 1 && byRule["bulk-edit"]?.matchedBoth == 0, "\(report.rules)")
        // Where other rules account for the change, the common ones are not blamed.
        #expect(byRule["pii-edit"] == nil, "\(report.rules)")
    }
}
