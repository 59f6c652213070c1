import Foundation

/// Removes a test's temporary folder and everything in it.
///
/// A server a test has just stopped may still be closing its SQLite store: its log file
/// (`-wal`) can vanish while the folder is being emptied, and one attempt then stops half way
/// and leaves the folder behind (dozens of them in `/tmp` after a full run). When the first
/// attempt fails, a thread of its own tries again, a few times over about a second: nothing
/// blocking runs on the cooperative threads the tests share (docs/architecture.md, Tests).
public func removeTemporaryFolder(_ path: String) {
    if (try? FileManager.default.removeItem(atPath: path)) != nil || !FileManager.default.fileExists(atPath: path) { return }
    Thread.detachNewThread {
        for _ in 0..<20 {
            Thread.sleep(forTimeInterval: 0.05)
            if (try? FileManager.default.removeItem(atPath: path)) != nil || !FileManager.default.fileExists(atPath: path) { return }
        }
    }
}
