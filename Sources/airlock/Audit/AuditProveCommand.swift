import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit prove SEQ`: an inclusion proof of one record against the latest checkpoint.
struct AuditProveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Print a proof that a record is in the log signed by the latest checkpoint.",
        discussion: "Check it anywhere with `airlock audit verify-proof --public-key KEY` (no database needed).")

    @OptionGroup var location: StoreLocationOptions

    @Argument(help: "The record's sequence number.")
    var seq: Int64

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the proof to a file instead.", valueName: "file"))
    var output: String?

    func run() async throws {
        let store = try await location.openForReading()
        let proof: AuditInclusionProof
        do {
            proof = try await store.inclusionProof(seq: seq)
        } catch let error as StoreError {
            throw ValidationError(error.message)
        }
        try await store.close()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(proof) + Data("\n".utf8)
        if let output {
            try data.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
