import ArgumentParser

/// `airlock bench …`: measured figures for BENCHMARKS.md. Run from a release build.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (use a release build: swift run -c release airlock bench …).",
        subcommands: [BenchCELCommand.self, BenchPolicyCommand.self, BenchAuditCommand.self, BenchServeCommand.self, BenchSimulateCommand.self, BenchReplayCommand.self, BenchReviewsCommand.self]
    )
}
