import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit key`: prints the checkpoint signing key's public half.
struct AuditKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print the public key that verifies audit checkpoints.",
        discussion: """
            Prints the Ed25519 public key as 64 hex digits (or base64 with --format base64, or its 16-digit \
            key id with --format id). Keep a copy apart from the database and pass it to `verify` and \
            `verify-proof` with --public-key. Creates the key if the state directory has none yet.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case hex, base64, id
    }

    @OptionGroup var location: StoreLocationOptions

    @Option(help: "hex (default), base64, or id.")
    var format: Format = .hex

    func run() async throws {
        try location.location.create()
        let key = AuditPublicKey(try AuditSigningKey.loadOrCreate(at: location.location.signingKeyURL).publicKey)
        switch format {
        case .hex: Output.line(key.hex)
        case .base64: Output.line(key.base64)
        case .id: Output.line(key.keyID)
        }
    }
}
