import ArgumentParser

/// `airlock notify …`: the gateway's webhook notifications.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Check the webhook targets that receive Airlock's events.",
        subcommands: [NotifyTestCommand.self]
    )
}
