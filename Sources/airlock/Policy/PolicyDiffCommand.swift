import AirlockCore
import AirlockStore
import ArgumentParser
import CEL
import Foundation

/// `airlock policy diff OLD NEW`: what a policy change changes, section by section.
struct PolicyDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two packs or stored policy versions: rules, tiers, lists, resources.",
        discussion: """
            OLD and NEW are each a pack (a YAML file or a directory of them) or a policy version \
            stored by a server: an argument naming an existing file or directory is a pack; \
            otherwise 'active' is the active version and 4 to 64 hex digits are a stored version \
            or the start of one, read from the state directory (--state-dir, or --config's \
            state_dir). The difference is of the packs' content, not their text (comments, \
            layout and the split into files do not count): the pack's name and description, \
            classes, resources and fields, lists, business hours, tiers, defaults, rules (each \
            changed setting as old → new, and rules that moved), and the inline tests, which are \
            not part of the version. Exits 0 when nothing differs, 1 when something does, 2 when \
            the packs cannot be compared (a pack that does not check, an unknown version, no \
            store).
            """
    )

    @Argument(help: "The old pack: a YAML file or directory, 'active', or a stored version (its first hex digits).")
    var old: String

    @Argument(help: "The new pack, in the same forms.")
    var new: String

    @OptionGroup var location: StoreLocationOptions

    @Flag(help: "Print the difference as JSON, for scripts.")
    var json = false

    /// The exit status when the packs cannot be compared (1 says they differ, as for `diff`).
    static let troubleExitCode = ExitCode(2)

    func run() async throws {
        let packs: [ComparedPack]
        do {
            packs = try await load([old, new])
        } catch let failure as PolicyDiffFailure {
            for line in failure.lines { Output.error("error: \(line)") }
            throw Self.troubleExitCode
        } catch let code as ExitCode {
            // A pack that does not check: PolicyIO printed its problems.
            throw code == .success ? code : Self.troubleExitCode
        } catch let error as ValidationError {
            Output.error("error: \(error.message)")
            throw Self.troubleExitCode
        } catch {
            Output.error("error: \(error)")
            throw Self.troubleExitCode
        }
        let diff = PolicyDiff(from: packs[0].pack, to: packs[1].pack)
        if json {
            guard case .map(var map) = diff.jsonValue else { return }
            for (key, pack) in [("old", packs[0]), ("new", packs[1])] {
                guard case .map(var side)? = map[key] else { continue }
                if let path = pack.path {
                    side["path"] = .string(path)
                } else {
                    side["stored"] = .bool(true)
                    side["active"] = .bool(pack.isActive)
                }
                map[key] = .map(side)
            }
            Output.line(Value.map(map).jsonString(prettyPrinted: true))
        } else {
            for line in PolicyDiffReport(diff: diff, old: packs[0], new: packs[1]).lines { Output.line(line) }
        }
        if !diff.isEmpty { throw ExitCode.failure }
    }

    /// The packs the arguments name, opening the store only when one is a stored version.
    private func load(_ arguments: [String]) async throws -> [ComparedPack] {
        var store: (any Store)?
        var packs: [ComparedPack] = []
        do {
            for argument in arguments {
                switch try PolicyReference(argument, exists: { FileManager.default.fileExists(atPath: $0) }) {
                case .pack(let path):
                    packs.append(ComparedPack(pack: try PolicyIO.loadPack(path), path: path, isActive: false))
                case .stored(let version):
                    let opened = try await openedStore(store, for: argument)
                    store = opened
                    packs.append(try await ComparedPack.stored(version, in: opened, directory: location.describeStore))
                }
            }
        } catch {
            try? await store?.close()
            throw error
        }
        try await store?.close()
        return packs
    }

    private func openedStore(_ store: (any Store)?, for argument: String) async throws -> any Store {
        if let store { return store }
        do {
            return try await location.openForReading()
        } catch let error as ValidationError {
            throw PolicyDiffFailure(
                "'\(argument)' is no file or directory, so it names a stored policy version; but \(error.message)")
        }
    }
}
