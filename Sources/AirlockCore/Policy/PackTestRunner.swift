import CEL

/// The result of one pack test.
public struct PackTestResult: Sendable {
    /// The test.
    public var test: PackTest
    /// What did not match the expectation; empty when the test passed.
    public var failures: [String]
    /// The decision, when the mutation was valid.
    public var decision: Decision?
    /// The validation problems, when it was not.
    public var validationFailure: ValidationFailure?

    /// Whether the decision matched every expectation.
    public var passed: Bool { failures.isEmpty }
    /// The rules that matched (empty for an invalid mutation).
    public var firedRules: [String] { decision?.matchedRules ?? [] }
}

extension PolicyEngine {
    /// Runs one test: reads its mutation, decides with the test's signals, system and time, and
    /// compares with the expectation.
    public func run(_ test: PackTest) -> PackTestResult {
        var result = PackTestResult(test: test, failures: [], decision: nil, validationFailure: nil)
        let expect = test.expect
        var signals = test.signals
        if !test.setsOffHours, let hours = pack.businessHours {
            signals.offHours = !hours.contains(test.now)
        }
        let decision: Decision
        do {
            let mutation = try Mutation(jsonValue: test.mutation)
            decision = try decide(mutation: mutation, actor: test.actor, signals: signals, system: test.system, now: test.now)
        } catch {
            result.validationFailure = error
            if expect.valid {
                result.failures.append("expected a valid mutation, but: \(error.issues.map(\.description).joined(separator: "; "))")
            } else {
                for text in expect.issues where !error.issues.contains(where: { $0.description.contains(text) }) {
                    result.failures.append(
                        "expected an issue containing '\(text)', got: \(error.issues.map(\.description).joined(separator: "; "))")
                }
            }
            return result
        }
        result.decision = decision
        if !expect.valid {
            result.failures.append("expected the mutation to be invalid, but it was decided \(decision.tier)")
            return result
        }
        if let tier = expect.tier, tier != decision.tier {
            result.failures.append("expected tier \(tier), got \(decision.tier)")
        }
        if let score = expect.score, score != decision.score {
            result.failures.append("expected score \(score), got \(decision.score)")
        }
        if let rules = expect.rules, Set(rules) != Set(decision.matchedRules) || rules.count != decision.matchedRules.count {
            result.failures.append(
                "expected rules [\(rules.sorted().joined(separator: ", "))], got [\(decision.matchedRules.sorted().joined(separator: ", "))]")
        }
        if let approvals = expect.approvals {
            let actual = decision.approvals?.groups ?? []
            if Set(approvals) != Set(actual) {
                result.failures.append(
                    "expected approvals [\(approvals.map(\.description).sorted().joined(separator: ", "))], got [\(actual.map(\.description).sorted().joined(separator: ", "))]"
                )
            }
        }
        if let maxClass = expect.maxClass, maxClass != decision.maxClass {
            result.failures.append("expected max_class \(maxClass), got \(decision.maxClass ?? "none")")
        }
        let failed = decision.reasons.filter(\.failed)
        if !failed.isEmpty {
            // A failing rule is a bug in the pack even when the tier happens to be right.
            for reason in failed { result.failures.append("rule '\(reason.rule)' \(reason.message)") }
        }
        return result
    }

    /// Runs tests in order.
    public func run(_ tests: [PackTest]) -> [PackTestResult] {
        tests.map { run($0) }
    }

    /// The ids of rules no test made match, in pack order.
    public func uncoveredRules(by results: [PackTestResult]) -> [String] {
        var fired: Set<String> = []
        for result in results { fired.formUnion(result.firedRules) }
        return pack.rules.map(\.id).filter { !fired.contains($0) }
    }
}
