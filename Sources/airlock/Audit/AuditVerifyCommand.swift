import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit verify`: checks the chain, the Merkle tree and every checkpoint signature.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the whole audit log; print the first bad sequence number and why.",
        discussion: """
            Checks every record's hash, the chain of prev_hash, the Merkle root at every checkpoint, and \
            every checkpoint's Ed25519 signature. Exits 1 when anything is wrong, naming what: edited, \
            deleted, reordered, inserted, truncated, signature mismatch, checkpoint mismatch; 2 when the \
            --public-key given cannot be used (not a key, or a file that cannot be read).
            """)

    @OptionGroup var location: StoreLocationOptions

    @Option(
        name: .customLong("public-key"),
        help: ArgumentHelp(
            "The key to check signatures with (hex, base64, or @FILE); by default the state directory's. "
                + "Pin it to a copy kept apart from the database.", valueName: "key"))
    var publicKey: String?

    func run() async throws {
        let (key, fromStateDirectory) = try location.publicKey(publicKey)
        let store = try await location.openForReading()
        let started = ContinuousClock.now
        let report = try await store.verifyAudit(publicKey: key)
        let elapsed = ContinuousClock.now - started
        try await store.close()

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(report.recordCount) / seconds) : 0
        let keyNote = fromStateDirectory ? " (the state directory's key; pin one with --public-key)" : ""
        guard let first = report.firstProblem else {
            Output.line(
                "audit log OK: \(report.recordCount) records, \(report.checkpointCount) checkpoints with valid "
                    + "signatures\(keyNote), signed through seq \(report.signedSize)")
            Output.line("root \(report.root.hex)")
            if report.recordCount > report.signedSize {
                Output.line(
                    "records \(report.signedSize + 1)…\(report.recordCount) are not covered by a checkpoint yet")
            }
            Output.line("verified \(rate) records/s")
            return
        }
        Output.line("audit log FAILED: first bad seq \(first.seq): \(Self.name(first.kind)): \(first.detail)")
        for problem in report.problems.dropFirst() {
            Output.line("also seq \(problem.seq): \(Self.name(problem.kind)): \(problem.detail)")
        }
        Output.line(
            "read \(report.recordCount) records before stopping, \(report.checkpointCount) checkpoints, "
                + "\(report.validSignatures) valid signatures\(keyNote)")
        throw ExitCode(1)
    }

    static func name(_ kind: AuditProblem.Kind) -> String {
        kind.rawValue.replacingOccurrences(of: "_", with: " ")
    }
}
