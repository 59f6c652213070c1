import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit consistency OLD_SIZE`: a proof that the log of OLD_SIZE records is a prefix of
/// the log the latest checkpoint signed.
struct AuditConsistencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Print a proof that the log's first OLD_SIZE records are a prefix of the latest checkpoint's tree.",
        discussion: """
            An RFC 6962 consistency proof, for whoever kept an older tree head (a witness line, an earlier \
            checkpoint): check it with `airlock audit verify-proof --public-key KEY [--old-root ROOT]` or \
            `scripts/verify_audit.py --consistency FILE`, without the database.
            """)

    @OptionGroup var location: StoreLocationOptions

    @Argument(help: ArgumentHelp("The size of the older tree.", valueName: "old-size"))
    var oldSize: Int64

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the proof to a file instead.", valueName: "file"))
    var output: String?

    func run() async throws {
        let store = try await location.openForReading()
        let proof: AuditConsistencyProof
        do {
            proof = try await store.consistencyProof(oldSize: oldSize)
        } catch let error as StoreError {
            try? await store.close()
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
