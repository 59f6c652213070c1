import ArgumentParser

/// `airlock cel …`: the expression language on its own.
struct CELCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cel",
        abstract: "Evaluate CEL expressions and run the CEL conformance tests.",
        subcommands: [CELEvalCommand.self, CELConformanceCommand.self]
    )
}
