import ArgumentParser
import Foundation

/// `airlock review list`: the open reviews the caller may act on, oldest first.
struct ReviewListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the open reviews you may act on, oldest first."
    )

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.run { api throws(ClientError) in
            let (answer, reviews) = try await api.openReviews()
            if client.json {
                Console.write(answer.body)
                return
            }
            guard !reviews.isEmpty else {
                Console.print("no open reviews")
                return
            }
            let time = DisplayTime(now: Date())
            var table = TextTable(header: ["MUTATION", "TIER", "VOTES", "POOL", "MODE", "DUE", "MUTATION OF", "BY", "WHY"])
            for review in reviews {
                let mutation = review.mutation
                let votes = mutation.approvals.map { "\($0.received.count)/\($0.required)" } ?? "-"
                let due = review.slaDeadline.flatMap(DisplayTime.parse).map(time.distance(to:)) ?? "-"
                let what = mutation.resource + " " + mutation.operation + MutationReport.targetText(mutation)
                let why = mutation.reasons.map(\.rule).joined(separator: ", ")
                table.append([
                    mutation.id, review.tier ?? "-", votes, review.pools.joined(separator: ","), review.mode, due, what,
                    mutation.actor,
                    why.isEmpty ? "-" : why,
                ])
            }
            Console.print(table.text)
            Console.print("\(reviews.count) open review\(reviews.count == 1 ? "" : "s"); see one with: airlock review show ID")
        }
    }
}
