import AirlockCore
import AirlockStore
import CEL
import Foundation

/// What OLD or NEW of `airlock policy diff` names: a pack on disk, or a policy version stored in
/// a server's state directory.
///
/// The rule: an argument naming an existing file or directory is a pack (as `policy check`
/// reads it); otherwise `active` is the store's active version, and 4 to 64 hex digits are a
/// stored version or the start of one (the console shows the first 12); anything else is
/// neither, and refused with both readings.
enum PolicyReference: Equatable {
    /// A YAML file or a directory of them.
    case pack(path: String)
    /// A version in the store.
    case stored(StoredVersion)

    /// Reads `argument`; `exists` says whether a path names a file or directory.
    init(_ argument: String, exists: (String) -> Bool) throws(PolicyDiffFailure) {
        if exists(argument) {
            self = .pack(path: argument)
        } else if argument == "active" {
            self = .stored(.active)
        } else if (4...64).contains(argument.count), argument.allSatisfy(\.isHexDigit) {
            self = .stored(.prefix(argument.lowercased()))
        } else {
            throw PolicyDiffFailure(
                "'\(argument)' is no file or directory, nor a stored policy version ('active', or a version's first 4 "
                    + "to 64 hex digits)")
        }
    }
}

/// Which stored version.
enum StoredVersion: Equatable {
    /// The active one.
    case active
    /// The one whose hash starts with these lowercase hex digits.
    case prefix(String)
}

/// A pack to compare, and where it came from.
struct ComparedPack {
    var pack: PolicyPack
    /// The path as given; `nil` for a stored version.
    var path: String?
    /// For a stored version: whether it is the active one.
    var isActive: Bool

    /// How the report names the source.
    var label: String {
        path ?? (isActive ? "stored, active" : "stored")
    }

    /// Loads a stored version from an open store.
    static func stored(_ version: StoredVersion, in store: any Store, directory: String) async throws -> ComparedPack {
        let record: PolicyVersionRecord
        switch version {
        case .active:
            guard let active = try await store.activePolicyVersion() else {
                throw PolicyDiffFailure("no policy version is active in \(directory)")
            }
            record = active
        case .prefix(let prefix):
            let matches = try await store.policyVersions().filter { $0.hash.hasPrefix(prefix) }
            guard let first = matches.first else {
                throw PolicyDiffFailure("'\(prefix)' is no file or directory, nor a policy version stored in \(directory)")
            }
            guard matches.count == 1 else {
                let versions = matches.map { String($0.hash.prefix(16)) }.joined(separator: ", ")
                throw PolicyDiffFailure(
                    "'\(prefix)' is the start of \(matches.count) stored versions (\(versions)): give more digits")
            }
            record = first
        }
        do {
            return ComparedPack(pack: try PolicyPack.load(files: Self.files(record)), path: nil, isActive: record.isActive)
        } catch {
            throw PolicyDiffFailure(
                ["stored version \(record.hash) no longer checks:"] + error.problems.map { "  \($0.description)" })
        }
    }

    /// The YAML files of a stored version: the server keeps them as `{"files": [{"name", "text"}]}`
    /// (a text that is no such bundle is read as one file).
    static func files(_ record: PolicyVersionRecord) -> [(name: String, text: String)] {
        guard case .map(let root)? = try? Value(json: record.text), case .list(let list)? = root["files"] else {
            return [("\(record.hash.prefix(12)).yaml", record.text)]
        }
        return list.compactMap { item in
            guard case .map(let file) = item, case .string(let name)? = file["name"], case .string(let text)? = file["text"]
            else { return nil }
            return (name, text)
        }
    }
}

/// Why `airlock policy diff` cannot compare: the lines to print on standard error.
struct PolicyDiffFailure: Error {
    var lines: [String]

    init(_ lines: [String]) { self.lines = lines }
    init(_ message: String) { lines = [message] }
}
