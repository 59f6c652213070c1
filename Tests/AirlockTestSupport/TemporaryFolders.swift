import Foundation

/// Removes a test's temporary folder and everything in it.
///
/// A server a test has just stopped may still be closing its SQLite store: its log file
/// (`-wal`) can vanish while the folder is being emptied, and one attempt then stops half way
/// and leaves the folder behind (dozens of them in `/tmp` after a full run). So the removal is
/// tried again, a few times over about a second, until the folder is gone.
public func removeTemporaryFolder(_ path: String) {
    for attempt in 0..<20 {
        do {
            try FileManager.default.removeItem(atPath: path)
            return
        } catch {
            if !FileManager.default.fileExists(atPath: path) { return }
            if attempt < 19 { usleep(50_000) }
        }
    }
}
