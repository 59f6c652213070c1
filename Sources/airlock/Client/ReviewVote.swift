import Foundation

/// What `review approve` and `review reject` share: casting the vote and saying what it did.
enum ReviewVote {
    /// Casts a vote on `id` and prints the outcome (or, with `--json`, the server's answer).
    static func cast(approve: Bool, on id: String, note: String?, client: ClientOptions) async throws {
        try await client.run { api throws(ClientError) in
            let (answer, mutation) = try await api.vote(on: id, approve: approve, note: note)
            if client.json {
                Console.write(answer.body)
                return
            }
            var line = "\(approve ? "approved" : "rejected") \(mutation.id): now \(mutation.status)"
            if approve, let approvals = mutation.approvals {
                line += "; " + MutationReport.tally(approvals)
            }
            Console.print(line)
        }
    }
}
