import ArgumentParser

/// `airlock policy …`: check, test and evaluate policy packs.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, test and evaluate policy packs.",
        subcommands: [PolicyCheckCommand.self, PolicyTestCommand.self, PolicyEvalCommand.self, PolicyReplayCommand.self, PolicyDiffCommand.self, PolicySimulateCommand.self, PolicyShadowCommand.self, PolicyShadowReportCommand.self, PolicyInsightsCommand.self,
        ]
    )
}
