import AirlockTestSupport
import Foundation
import Testing

/// The short version of `scripts/chaos` (issue 18, "Faults"): a real `airlock serve` on the
/// embedded defaults, loaded over HTTP/1.1 keep-alive by submitters and reviewers, is SIGKILLed at
/// a random moment and restarted, three times. After each restart the script checks that every
/// mutation a client saw acknowledged is in the store in the status it was told (or one the
/// lifecycle reaches from it), that nothing was executed twice (one mutation per Idempotency-Key,
/// one transfer row per request, applied-markers agreeing with the statuses, balances adding up),
/// and that `airlock audit verify` passes. The full run is `scripts/chaos` (20 rounds).
@Suite("Chaos: SIGKILL under load", .timeLimit(.minutes(6)), .sharedResources)
struct ChaosTests {
    @Test("killed under load three times: acknowledged mutations stand as told, none ran twice, the audit log verifies")
    func killedUnderLoad() async throws {
        let airlock = try CommandRunner.requireAirlock()
        let script = CommandRunner.packageRoot.appendingPathComponent("scripts/chaos")
        let outcome = try await CommandRunner.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "--rounds", "3", "--airlock", airlock.path],
            in: CommandRunner.packageRoot, timeout: 300)
        print(outcome.output)  // the rounds, what reconciliation finished, and any violation with its ids
        #expect(outcome.status == 0, "scripts/chaos failed (exit \(outcome.status)):\n\(outcome.output)\n\(outcome.errorOutput)")
        #expect(outcome.output.contains("chaos: PASS — 3 rounds, 3 kills"), "\(outcome.output)")
    }
}
