import ArgumentParser
import CELConformance
import Foundation

/// `airlock cel conformance FILE…`: runs CEL specification conformance files and reports
/// per-file and total counts; exits non-zero when a test fails or a file cannot be read.
struct CELConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run CEL conformance test files (cel-spec SimpleTestFile text format).",
        discussion: """
            Prints one line per file (`basic: 43 passed, 0 failed, 0 skipped`) and a last line with \
            the totals. Tests that need protocol-buffer messages are skipped, with their reasons \
            shown under --verbose.
            """
    )

    @Argument(help: "Conformance files (.textproto).")
    var files: [String]

    @Flag(
        name: .shortAndLong, help: "Print each failure (section/name, expression, expected, actual) and skip reasons.")
    var verbose = false

    func run() throws {
        var passed = 0
        var failed = 0
        var skipped = 0
        var unreadable = 0
        for path in files {
            let report: FileReport
            do {
                report = try ConformanceRunner.run(fileAt: path)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                unreadable += 1
                continue
            }
            if verbose {
                for note in report.ignoredFields { print("NOTE \(report.name): \(note)") }
                for result in report.results {
                    if case .passed = result.outcome { continue }
                    print("\(report.name): \(result)")
                }
            }
            print(report.summary)
            passed += report.passed.count
            failed += report.failed.count
            skipped += report.skipped.count
        }
        print("\(passed) passed, \(failed) failed, \(skipped) skipped")
        if failed > 0 || unreadable > 0 { throw ExitCode.failure }
    }
}
