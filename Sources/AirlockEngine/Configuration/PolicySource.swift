import AirlockCore
import Foundation

/// Reads a policy pack from disk: one YAML file, or a directory's `.yaml`/`.yml` files sorted by
/// name (not recursive). The core only ever sees the texts.
public enum PolicySource {
    public static func files(at path: String) throws(ConfigurationError) -> [(name: String, text: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(file: path, message: "no such policy file or directory")
        }
        guard isDirectory.boolValue else { return [(path, try read(path))] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw ConfigurationError(file: path, message: "cannot list the policy directory: \(error.localizedDescription)")
        }
        guard !names.isEmpty else { throw ConfigurationError(file: path, message: "no .yaml or .yml files in the policy directory") }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        var files: [(name: String, text: String)] = []
        for name in names { files.append((prefix + name, try read(prefix + name))) }
        return files
    }

    /// Loads and checks the pack, and refuses pools that no principal belongs to.
    public static func load(
        at path: String, principals: PrincipalDirectory
    ) throws(ConfigurationError) -> (pack: PolicyPack, files: [(name: String, text: String)]) {
        let files = try files(at: path)
        let pack: PolicyPack
        do throws(PolicyError) {
            pack = try PolicyPack.load(files: files)
        } catch {
            let first = error.problems.first
            throw ConfigurationError(
                file: first?.location.file ?? path, line: first?.location.line, column: first?.location.column,
                message: "the policy does not check: " + error.problems.map(\.description).joined(separator: "; "))
        }
        let members = Set(principals.principals.flatMap(\.pools))
        if let missing = pack.pools.first(where: { !members.contains($0.name) }) {
            throw ConfigurationError(
                file: missing.location.file, line: missing.location.line, column: missing.location.column,
                message: "no principal belongs to pool '\(missing.name)'; add it to a reviewer's pools in the configuration")
        }
        return (pack, files)
    }

    private static func read(_ path: String) throws(ConfigurationError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, message: "cannot read: \(error.localizedDescription)")
        }
    }
}
