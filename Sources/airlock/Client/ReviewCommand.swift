import ArgumentParser

/// `airlock review …`: the reviewer's side — the queue, one mutation in full, and the votes.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "List, inspect, approve, reject and ask for changes to the mutations awaiting your review.",
        discussion: """
            These commands act as the reviewer whose key is in $AIRLOCK_KEY (or the variable \
            --key-env names). The server decides who may vote: reviewers of the required pool, \
            never the mutation's submitter, once each.
            """,
        subcommands: [
            ReviewListCommand.self, ReviewShowCommand.self, ReviewApproveCommand.self, ReviewRejectCommand.self,
            ReviewRequestChangesCommand.self,
        ]
    )
}
