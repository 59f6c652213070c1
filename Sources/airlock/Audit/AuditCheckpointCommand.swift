import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit checkpoint`: signs a checkpoint over the whole log now.
struct AuditCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign a checkpoint over the whole log now (so that the latest records can be proved).")

    @OptionGroup var location: StoreLocationOptions

    func run() async throws {
        guard FileManager.default.fileExists(atPath: location.location.signingKeyURL.path) else {
            throw ValidationError("no signing key in \(location.location.url.path)")
        }
        let store = try await location.openForReading()
        do {
            // On a shared database, a checkpoint signed with another key than the log's would
            // fail every verification under the key verifiers pin.
            try await (store as? PostgresStore)?.checkSigningKey()
            if let checkpoint = try await store.signCheckpoint() {
                Output.line("signed checkpoint: tree size \(checkpoint.treeSize), root \(checkpoint.root.hex)")
            } else {
                let head = try await store.auditHead()
                Output.line("the latest checkpoint already covers all \(head.size) records")
            }
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}
