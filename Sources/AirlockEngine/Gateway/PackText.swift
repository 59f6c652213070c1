import AirlockCore
import CEL

/// How a pack's files are kept as one text in the store: canonical JSON
/// `{"files": [{"name": …, "text": …}, …]}`, so a pack loaded from a directory can be loaded
/// again exactly.
public enum PackText {
    static func encode(_ files: [(name: String, text: String)]) -> String {
        CanonicalJSON.encode(
            .map(CELMap([
                (.string("files"),
                 .list(files.map { .map(CELMap([(.string("name"), .string($0.name)), (.string("text"), .string($0.text))])) }))
            ])))
    }

    static func files(_ stored: String) throws -> [(name: String, text: String)] {
        guard case .map(let root) = try Value(json: stored), case .list(let list)? = root["files"] else {
            throw GatewayError(.unavailable, title: "Stored policy unreadable", detail: "not a pack bundle")
        }
        return list.compactMap { item in
            guard case .map(let file) = item, case .string(let name)? = file["name"], case .string(let text)? = file["text"]
            else { return nil }
            return (name, text)
        }
    }

    /// A stored pack as a person reads it: each file's YAML under a `# file: NAME` line (what the
    /// console diffs between versions); a text that is no bundle is shown as it is.
    public static func readable(_ stored: String) -> String {
        guard let files = try? files(stored), !files.isEmpty else { return stored }
        return files.map { file in
            "# file: \(file.name)\n" + file.text + (file.text.hasSuffix("\n") ? "" : "\n")
        }.joined(separator: "\n")
    }

    static func load(_ stored: String) throws -> PolicyPack {
        try PolicyPack.load(files: try files(stored))
    }
}
