/// Decides which tests cannot run here. Only tests that need protocol-buffer messages, wrapper
/// types or message names (and the few features listed in ``SkipReason/Kind/unsupportedFeature``)
/// are skipped; everything else runs.
enum SkipRules {
    /// Names in an expression that only exist with protocol-buffer message support.
    static let messageNames = ["google.protobuf.", "cel.expr.conformance.", "TestAllTypes", "NestedTestAllTypes"]

    /// Packages of protocol-buffer messages, as containers.
    static let messagePackages = ["google.protobuf", "cel.expr.conformance"]

    /// Why `test` must be skipped; empty when it runs.
    static func reasons(for test: ConformanceTest) -> [SkipReason] {
        var reasons = test.unsupported
        if !test.container.isEmpty {
            if messagePackages.contains(where: { test.container.hasPrefix($0) }) {
                reasons.append(
                    SkipReason(.protocolBuffers, "resolves names in the message container '\(test.container)'"))
            } else {
                reasons.append(
                    SkipReason(.unsupportedFeature, "resolves names in the container '\(test.container)'"))
            }
        }
        if let name = messageNames.first(where: { test.expression.contains($0) }) {
            reasons.append(SkipReason(.protocolBuffers, "mentions the protocol-buffer name '\(name)'"))
        }
        if test.checkOnly {
            if case .typedResult(_, .some) = test.expectation {
            } else {
                reasons.append(SkipReason(.unsupportedFeature, "check_only without a typed result to compare"))
            }
        }
        return reasons
    }
}
