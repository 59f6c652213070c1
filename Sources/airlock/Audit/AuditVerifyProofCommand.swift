import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit verify-proof`: checks an inclusion proof with the public key alone.
struct AuditVerifyProofCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check an inclusion or consistency proof without the database (what an external auditor runs).",
        discussion: "Exits 0 when the proof holds, 1 when it does not, 2 when the --public-key cannot be used.")

    @Argument(help: ArgumentHelp("The proof file; `-` or nothing for standard input.", valueName: "file"))
    var file: String?

    @Option(
        name: .customLong("public-key"),
        help: ArgumentHelp("The checkpoint signer's public key (hex, base64, or @FILE).", valueName: "key"))
    var publicKey: String

    @Option(
        name: .customLong("old-root"),
        help: ArgumentHelp(
            "For a consistency proof: the older tree's root you kept (64 hex digits), which the proof must start from.",
            valueName: "root"))
    var oldRoot: String?

    func run() async throws {
        let key = try StoreLocationOptions.usablePublicKey(publicKey)
        let data =
            if let file, file != "-" {
                try Data(contentsOf: URL(fileURLWithPath: file))
            } else {
                FileHandle.standardInput.readDataToEndOfFile()
            }
        if let consistency = try? JSONDecoder().decode(AuditConsistencyProof.self, from: data) {
            try check(consistency, key: key)
            return
        }
        let proof: AuditInclusionProof
        do {
            proof = try JSONDecoder().decode(AuditInclusionProof.self, from: data)
        } catch {
            Output.line("proof FAILED: not an Airlock inclusion proof (\(error))")
            throw ExitCode(1)
        }
        do {
            try proof.verify(publicKey: key)
        } catch {
            Output.line("proof FAILED: \(error)")
            throw ExitCode(1)
        }
        let record = proof.record
        Output.line(
            "proof OK: record \(record.seq) (\(record.kind), \(record.mutationID.map { "mutation \($0), " } ?? "")"
                + "by \(record.actor), \(AuditTime.rfc3339(micros: record.timeMicros))) is in the log of "
                + "\(proof.checkpoint.treeSize) records signed at \(AuditTime.rfc3339(micros: proof.checkpoint.timeMicros)) "
                + "by key \(proof.checkpoint.keyID)")
    }

    private func check(_ proof: AuditConsistencyProof, key: AuditPublicKey) throws {
        var kept: AuditHash?
        if let oldRoot {
            guard let root = AuditHash(hex: oldRoot) else { throw ValidationError("--old-root takes 64 hex digits") }
            kept = root
        }
        do {
            try proof.verify(publicKey: key, keptRoot: kept)
        } catch {
            Output.line("proof FAILED: \(error)")
            throw ExitCode(1)
        }
        Output.line(
            "proof OK: the log of \(proof.oldSize) records (root \(proof.oldRoot.hex)) is a prefix of the log of "
                + "\(proof.checkpoint.treeSize) records signed at \(AuditTime.rfc3339(micros: proof.checkpoint.timeMicros)) "
                + "by key \(proof.checkpoint.keyID)" + (kept == nil ? " (pass --old-root to compare the old root with yours)" : ""))
    }
}
