import AirlockCore
import CEL

/// How a pack's files are kept as one text in the store: canonical JSON
/// `{"files": [{"name": …, "text": …}, …]}`, so a pack loaded from a directory can be loaded
/// again exactly.
enum PackText {
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

    static func load(_ stored: String) throws -> PolicyPack {
        try PolicyPack.load(files: try files(stored))
    }
}
