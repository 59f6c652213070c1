import AirlockCore
import Foundation

/// The principals of the embedded defaults: an agent that submits, three reviewers in every
/// pool of the example pack, an admin and an auditor. Their keys are made on first start,
/// kept in the state directory only as SHA-256 hashes (`demo-principals.json`), and written
/// once, in clear, to `demo-credentials` (mode 0600) for the README's examples.
public enum DemoPrincipals {
    static let pools: Set<String> = [
        "finance", "ops-reviewers", "ops-leads", "duty-managers", "pricing", "privacy", "support-leads",
    ]

    static let roster: [Principal] = [
        Principal(id: "agent-7", kind: .agent, roles: [.submitter], attributes: ["team": "payments"]),
        Principal(id: "alice", kind: .human, roles: [.reviewer, .submitter], pools: pools),
        Principal(id: "bob", kind: .human, roles: [.reviewer], pools: pools),
        Principal(id: "carol", kind: .human, roles: [.reviewer], pools: pools),
        Principal(id: "root", kind: .human, roles: [.admin]),
        Principal(id: "auditor", kind: .human, roles: [.auditor]),
    ]

    /// The environment variable a principal's key is written under in `demo-credentials`.
    public static func variable(for id: String) -> String {
        "AIRLOCK_KEY_" + id.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The demo principals of a state directory, creating their keys on first use.
    public static func directory(in stateDirectory: String) throws(ConfigurationError) -> PrincipalDirectory {
        let hashesPath = stateDirectory + "/demo-principals.json"
        let credentialsPath = stateDirectory + "/demo-credentials"
        var hashes: [String: String] = [:]
        do {
            if FileManager.default.fileExists(atPath: hashesPath) {
                hashes = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: hashesPath)))
            } else {
                try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
                var lines = ["# Airlock demo credentials, written once on first start. Keep private.", "# source this file: . \(credentialsPath)"]
                for principal in roster {
                    var bytes = [UInt8](repeating: 0, count: 24)
                    var generator = SystemRandomNumberGenerator()
                    for i in bytes.indices { bytes[i] = generator.next() }
                    let key = "ak_" + Hex.encode(bytes)
                    hashes[principal.id] = PrincipalDirectory.hash(key: key)
                    lines.append("export \(variable(for: principal.id))=\(key)")
                }
                try writePrivate(lines.joined(separator: "\n") + "\n", to: credentialsPath)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                try writePrivate(String(decoding: try encoder.encode(hashes), as: UTF8.self) + "\n", to: hashesPath)
            }
        } catch {
            throw ConfigurationError(file: hashesPath, message: "cannot set up the demo principals: \(error)")
        }
        var directory = PrincipalDirectory()
        for principal in roster {
            guard let hash = hashes[principal.id] else {
                throw ConfigurationError(file: hashesPath, message: "no key hash for demo principal '\(principal.id)'")
            }
            try directory.add(principal, keySHA256: hash)
        }
        return directory
    }

    private static func writePrivate(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw ConfigurationError(file: path, message: "cannot write") }
    }
}

extension GatewayConfiguration {
    /// The embedded defaults: state in `stateDirectory`, the example pack (or the pack at
    /// `policy`, such as `examples/escalation` with its short SLAs), demo principals, and `sql`
    /// executors over a demo database (`demo.sqlite`: accounts, transfers, customers, products)
    /// so that approved mutations change real rows.
    public static func embeddedDefaults(
        stateDirectory: String = ".airlock", policy: String? = nil
    ) throws(ConfigurationError) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        if let policy { configuration.policyPath = policy }
        // Checked before anything is created, so that a start from the wrong directory leaves no
        // state behind.
        guard FileManager.default.fileExists(atPath: configuration.policyPath) else {
            throw ConfigurationError(
                file: configuration.policyPath,
                message: "the embedded defaults read their policy pack from ./\(configuration.policyPath), which is not "
                    + "here: run from the Airlock checkout, or pass --config with a policy path")
        }
        configuration.stateDirectory = stateDirectory
        configuration.principals = try DemoPrincipals.directory(in: stateDirectory)
        let database = stateDirectory + "/" + DemoDatabase.fileName
        if !FileManager.default.fileExists(atPath: database) {
            try DemoDatabase.create(at: database)
        }
        configuration.executors = DemoDatabase.executorConfiguration(databasePath: database)
        configuration.applyDatabaseURL(from: ProcessInfo.processInfo.environment)
        return configuration
    }
}
