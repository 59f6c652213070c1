import Foundation
import Testing

/// Rules the whole suite relies on because every test runs in one process at the same time.
@Suite("suite hygiene")
struct SuiteHygieneTests {
    /// Calls that change state every thread of the process shares. `setenv` reallocates the
    /// environment while other tests read it or start processes; a test that called it crashed
    /// the suite (signal 11 in `memmove`) on a loaded CI machine. A child gets its variables
    /// through its own `Process.environment` instead.
    private static let processWide = ["setenv(", "unsetenv(", "putenv(", "chdir(", "changeCurrentDirectoryPath("]

    @Test("no source or test changes the environment or the working directory of the process")
    func noProcessWideChanges() throws {
        let root = CommandRunner.packageRoot
        var found: [String] = []
        for folder in ["Sources", "Tests"] {
            let base = root.appendingPathComponent(folder)
            let files = try #require(FileManager.default.enumerator(atPath: base.path))
            for case let path as String in files where path.hasSuffix(".swift") {
                let text = try String(contentsOf: base.appendingPathComponent(path), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    guard !code.contains("processWide") else { continue }
                    for call in Self.processWide where code.contains(call) {
                        found.append("\(folder)/\(path):\(number + 1): \(call)")
                    }
                }
            }
        }
        #expect(found.isEmpty, "process-wide changes in a shared test process:\n\(found.joined(separator: "\n"))")
    }
}
