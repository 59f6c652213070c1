import ArgumentParser
import Foundation

/// `airlock status ID [--wait [SECONDS]]`: where a mutation stands, optionally waiting for it to
/// move on.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a mutation's status and timeline; --wait for its status to change.",
        discussion: """
            With --wait the command holds a long poll open on the server until the mutation's \
            status changes (or it reaches an end: executed, failed, rejected, expired, rolled \
            back), for at most SECONDS (default 60; longer waits are several polls). It then \
            prints the mutation as it is; exit status 0 whether or not it changed. Progress goes \
            to standard error.

            Examples:
              airlock status mut_01JD3…
              airlock status mut_01JD3… --wait 600 --json
            """
    )

    /// How long a bare `--wait` waits.
    static let defaultWait: Double = 60

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mutation's id.")
    var id: String

    @Flag(help: "Wait until the status changes (for at most SECONDS, default 60).")
    var wait = false

    @Argument(help: ArgumentHelp("With --wait: the most seconds to wait.", valueName: "SECONDS"))
    var seconds: String?

    mutating func validate() throws {
        // `status --wait 30 ID` arrives as id "30", seconds "ID".
        if let seconds, Double(id) != nil, Double(seconds) == nil { (id, self.seconds) = (seconds, id) }
        guard let seconds else { return }
        guard wait else { throw ValidationError("a number of seconds goes with --wait: status \(id) --wait \(seconds)") }
        guard let value = Double(seconds), value.isFinite, value > 0 else {
            throw ValidationError("--wait takes a positive number of seconds (got '\(seconds)')")
        }
    }

    func run() async throws {
        let limit = seconds.flatMap(Double.init) ?? Self.defaultWait
        try await client.run { api throws(ClientError) in
            var (answer, mutation) = try await api.mutation(id)
            if wait { (answer, mutation) = try await waitForChange(api, from: (answer, mutation), limit: limit) }
            if client.json {
                Console.write(answer.body)
            } else {
                Console.print(
                    MutationReport(mutation: mutation, time: DisplayTime(now: Date())).lines(.timeline).joined(separator: "\n"))
            }
        }
    }

    /// Long-polls until the status is no longer the one first seen, or `limit` seconds passed.
    private func waitForChange(_ api: APIClient, from first: (APIClient.Answer, RemoteMutation), limit: Double)
        async throws(ClientError) -> (APIClient.Answer, RemoteMutation)
    {
        var latest = first
        let start = first.1.status
        guard !first.1.isFinal else { return latest }
        let begun = Date()
        let deadline = begun.addingTimeInterval(limit)
        if !client.json {
            Console.note("waiting up to \(DisplayTime.span(Int(limit.rounded(.up)))) for \(id) to leave \(start)…")
        }
        while latest.1.status == start {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { break }
            let asked = Date()
            latest = try await api.mutation(id, changingFrom: start, within: remaining)
            // A server that answers at once without a change must not be polled in a tight loop.
            if latest.1.status == start, remaining > 1, Date().timeIntervalSince(asked) < 1 {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
        if !client.json {
            let waited = DisplayTime.span(Int(Date().timeIntervalSince(begun).rounded()))
            Console.note(
                latest.1.status == start ? "still \(start) after \(waited)" : "\(start) → \(latest.1.status) after \(waited)")
        }
        return latest
    }
}
