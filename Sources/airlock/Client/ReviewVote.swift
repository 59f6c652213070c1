import Foundation

/// What `review approve` and `review reject` share: casting the vote and saying what it did.
enum ReviewVote {
    /// Casts a vote on `id` and prints the outcome (or, with `--json`, the server's answer).
    ///
    /// The vote is bound to the mutation as this command read it: it fetches the mutation, names
    /// it in the line it prints, and sends its content hash and policy version, so that a
    /// mutation that changed since is not approved by mistake (the server answers 409, and this
    /// says to look again).
    static func cast(approve: Bool, on id: String, note: String?, client: ClientOptions) async throws {
        try await client.run { api throws(ClientError) in
            let (_, shown) = try await api.mutation(id)
            let answer: APIClient.Answer
            let mutation: RemoteMutation
            do throws(ClientError) {
                (answer, mutation) = try await api.vote(on: id, approve: approve, note: note, seen: shown)
            } catch {
                guard case .refused(let problem) = error, problem.status == 409 else { throw error }
                throw await stale(problem, shown: shown, api: api) ?? error
            }
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

    /// The error to report for a 409 when the mutation changed since it was fetched: what
    /// changed, and what to do. `nil` for a conflict of another kind (already decided, voted
    /// twice).
    private static func stale(_ problem: ServerProblem, shown: RemoteMutation, api: APIClient) async -> ClientError? {
        var changes: [String] = []
        if let (_, now) = try? await api.mutation(shown.id) {
            if now.contentHash != shown.contentHash {
                changes.append("its content is \(short(now.contentHash)), not \(short(shown.contentHash))")
            }
            if now.policyVersion != shown.policyVersion {
                changes.append("it stands under policy version \(short(now.policyVersion)), not \(short(shown.policyVersion))")
            }
        }
        if changes.isEmpty {
            // The server says so even when it changed back, or the second read failed.
            guard problem.detail.contains("look again before voting") else { return nil }
            changes.append(problem.detail)
        }
        return .stale(
            [
                "the mutation changed since you looked: \(changes.joined(separator: "; ")); run `airlock review show \(shown.id)` again",
                "(the server refused the vote: \(problem.status) \(problem.title))",
            ], problem: problem)
    }

    private static func short(_ text: String?) -> String {
        guard let text else { return "none" }
        return text.count > 12 ? String(text.prefix(12)) + "…" : text
    }
}
