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
        let store = try location.openExisting()
        guard store.configuration.signingKey != nil else {
            throw ValidationError("no signing key in \(location.location.url.path)")
        }
        if let checkpoint = try await store.signCheckpoint() {
            Output.line("signed checkpoint: tree size \(checkpoint.treeSize), root \(checkpoint.root.hex)")
        } else {
            let head = try await store.auditHead()
            Output.line("the latest checkpoint already covers all \(head.size) records")
        }
        try await store.close()
    }
}
