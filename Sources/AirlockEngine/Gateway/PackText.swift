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

    /// The documents of a YAML stream as the files of a pack (`NAME-1.yaml`, `NAME-2.yaml`, …,
    /// for problems to name): split at each line that is `---` (a document's start, possibly
    /// followed by a comment) or `...` (its end), where YAML puts them, at the line's start.
    /// Documents that hold nothing (only blanks and comments) are left out; a text of one
    /// document is one file.
    static func documents(of text: String, named name: String) -> [(name: String, text: String)] {
        var documents: [[Substring]] = [[]]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed == "---" || trimmed.hasPrefix("--- #") || trimmed == "..." {
                documents.append([])
            } else {
                documents[documents.count - 1].append(line)
            }
        }
        let kept = documents.filter { lines in
            lines.contains { line in
                let content = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
                return !content.isEmpty && !content.hasPrefix("#")
            }
        }
        guard kept.count > 1 else { return [(name + ".yaml", text)] }
        return kept.enumerated().map { index, lines in ("\(name)-\(index + 1).yaml", lines.joined(separator: "\n") + "\n") }
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
