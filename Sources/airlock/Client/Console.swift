import Foundation

/// Standard output and error, written at once (either may be a pipe read by a script while the
/// command still waits on the server).
enum Console {
    /// Writes lines to standard output.
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Writes a body as received to standard output, ending it with a newline.
    static func write(_ body: Data) {
        FileHandle.standardOutput.write(body)
        if body.last != UInt8(ascii: "\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }

    /// Writes an error to standard error: its first line prefixed `airlock:`, the rest (the
    /// individual problems) as they are.
    static func error(_ lines: [String]) {
        guard let first = lines.first else { return }
        let text = (["airlock: " + first] + lines.dropFirst()).joined(separator: "\n") + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes a progress note to standard error (no prefix).
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
