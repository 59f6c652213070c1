import AirlockCore
import AirlockEngine
import ArgumentParser
import CEL
import Foundation

/// Reading packs and JSON arguments from disk for the `policy` commands; the core only sees text.
enum PolicyIO {
    /// The YAML files of a pack: the file itself, or a directory's `.yaml`/`.yml` files sorted by
    /// name (not recursive). Names are the paths as the user would type them.
    static func packFiles(_ path: String) throws -> [(name: String, text: String)] {
        do {
            return try PolicySource.files(at: path)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Loads a pack, printing its problems as `file:line:column: message` on standard error and
    /// failing when it does not load.
    static func loadPack(_ path: String) throws -> PolicyPack {
        let files = try packFiles(path)
        do {
            return try PolicyPack.load(files: files)
        } catch {
            for problem in error.problems { printError(problem.description) }
            let count = error.problems.count
            printError("\(count) problem\(count == 1 ? "" : "s") in \(path)")
            throw ExitCode.failure
        }
    }

    static func readText(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// A JSON argument: inline JSON, or `@path` to read it from a file.
    static func json(_ argument: String, option: String) throws -> Value {
        let text = argument.hasPrefix("@") ? try readText(String(argument.dropFirst())) : argument
        do {
            return try Value(json: text)
        } catch {
            throw ValidationError("\(option): invalid JSON at \(error)")
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// The current time, for commands run by a person (the core never reads the clock).
    static func currentTime() -> Timestamp {
        let now = Date().timeIntervalSince1970
        let seconds = now.rounded(.down)
        return Timestamp(seconds: Int64(seconds), nanos: Int32((now - seconds) * 1e9))
    }
}
