import AirlockEngine
import Foundation
import Testing

/// `audit: { witness: PATH }`: a file outside the state directory.
@Suite("Audit witness configuration")
struct WitnessConfigurationTests {
    private func parse(_ text: String, file: String = "/etc/airlock/airlock.yaml") -> Result<GatewayConfiguration, ConfigurationError> {
        Result { () throws(ConfigurationError) in try GatewayConfiguration.parse(text, file: file, environment: [:]) }
    }

    @Test("a witness outside state_dir is taken, relative to the file's folder")
    func outside() throws {
        let config = try parse("state_dir: /var/lib/airlock\naudit: { witness: witness/airlock.jsonl }").get()
        #expect(config.witnessPath == "/etc/airlock/witness/airlock.jsonl")
        #expect(try parse("state_dir: /var/lib/airlock").get().witnessPath == nil)
        // A sibling whose name starts like the state directory's is outside it.
        #expect(try parse("state_dir: /var/lib/airlock\naudit: { witness: /var/lib/airlock-witness }").get().witnessPath != nil)
    }

    @Test("a witness inside state_dir, or the directory itself, is refused with file, line and column")
    func inside() {
        for (text, line, column) in [
            ("state_dir: /var/lib/airlock\naudit:\n  witness: /var/lib/airlock/witness.jsonl\n", 3, 12),
            ("state_dir: /var/lib/airlock\naudit: { witness: /var/lib/airlock/../airlock/sub/w }\n", 2, 19),
            ("state_dir: state\naudit: { witness: state/w.jsonl }\n", 2, 19),
            ("state_dir: /var/lib/airlock\naudit: { witness: /var/lib/airlock }\n", 2, 19),
        ] {
            guard case .failure(let error) = parse(text) else {
                Issue.record("accepted: \(text)")
                continue
            }
            #expect(error.line == line && error.column == column, "\(error)")
            #expect(error.description.hasPrefix("/etc/airlock/airlock.yaml:\(line):\(column)"), "\(error)")
            #expect(error.description.contains("audit.witness must be a file outside state_dir"), "\(error)")
        }
    }

    @Test("a witness reached through a symbolic link into state_dir is refused, even before either file exists")
    func throughALink() throws {
        let folder = try TemporaryDirectory()
        let state = folder.path + "/state"
        let link = folder.path + "/outside"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: state)
        for witness in [link + "/w.jsonl", link + "/new/deeper/w.jsonl", link] {
            guard case .failure(let error) = parse("state_dir: \(state)\naudit: { witness: \(witness) }\n") else {
                Issue.record("accepted a witness through a link into state_dir: \(witness)")
                continue
            }
            #expect(error.description.contains("audit.witness must be a file outside state_dir"), "\(error)")
        }
        // The state directory given through the link, the witness by the real path: refused too.
        #expect(throws: ConfigurationError.self) {
            try parse("state_dir: \(link)\naudit: { witness: \(state)/w.jsonl }\n").get()
        }
        // A link to a file not yet made in state_dir (realpath fails on it), and `..` after a
        // link into state_dir (the parent of the link's target, not of the link).
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/dangling.jsonl", withDestinationPath: state + "/w.jsonl")
        try FileManager.default.createDirectory(atPath: state + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/to-sub", withDestinationPath: state + "/sub")
        for witness in [folder.path + "/dangling.jsonl", folder.path + "/to-sub/../w.jsonl"] {
            guard case .failure = parse("state_dir: \(state)\naudit: { witness: \(witness) }\n") else {
                Issue.record("accepted a witness that resolves into state_dir: \(witness)")
                continue
            }
        }
        // A link that leads elsewhere is outside.
        let elsewhere = folder.path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/to-elsewhere", withDestinationPath: elsewhere)
        #expect(try parse("state_dir: \(state)\naudit: { witness: \(folder.path)/to-elsewhere/w.jsonl }\n").get().witnessPath != nil)
    }
}
