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
            `verify-proof` with --public-key. Reads only: a state directory without a key (a mistyped path, \
            or one no server has started in yet: `airlock serve` makes the key) is an error, exit status 1.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case hex, base64, id
    }

    @OptionGroup var location: StoreLocationOptions

    @Option(help: "hex (default), base64, or id.")
    var format: Format = .hex

    func run() async throws {
        // Never made here: a key made in a mistyped directory would be printed as if it were the
        // log's, and pinned by an auditor it would verify nothing.
        let state = location.location
        guard FileManager.default.fileExists(atPath: state.signingKeyURL.path) else {
            Output.error(
                "airlock: no audit signing key in \(state.url.path) (no \(state.signingKeyURL.lastPathComponent)); "
                    + "`airlock serve` makes one when it first starts there: check --state-dir or the configuration's state_dir")
            throw ExitCode(1)
        }
        let key = AuditPublicKey(try AuditSigningKey.load(from: state.signingKeyURL).publicKey)
        switch format {
        case .hex: Output.line(key.hex)
        case .base64: Output.line(key.base64)
        case .id: Output.line(key.keyID)
        }
    }
}
