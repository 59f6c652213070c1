import Foundation

/// Reads a database's write-ahead log file from outside SQLite, to see whether it starts over.
///
/// The log's 32-byte header (https://sqlite.org/fileformat2.html#walformat) holds at bytes 16–19
/// salt-1, which SQLite increments each time the log starts over from its beginning (a restart):
/// its difference between two reads counts the restarts between them.
struct WriteAheadLog {
    let path: String

    init(databasePath: String) {
        path = databasePath + "-wal"
    }

    /// Salt-1 of the header as last written; 0 while the file has no header.
    var startCount: UInt32 {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 32), header.count == 32 else { return 0 }
        return header[16..<20].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The file's size in bytes; it keeps its largest size when the log starts over.
    var fileSize: Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
