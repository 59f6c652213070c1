import AirlockCore
import AirlockStore
import ArgumentParser
import Foundation

/// `airlock audit show ID`: a mutation's whole history as a readable timeline.
struct AuditShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a mutation's whole history as a timeline.")

    @OptionGroup var location: StoreLocationOptions

    @Argument(help: "The mutation's id.")
    var id: String

    @Flag(help: "Print each record's whole payload instead of its first line's worth.")
    var full = false

    func run() async throws {
        let store = try await location.openForReading()
        let records = try await store.auditRecords(mutationID: id)
        guard let mutation = try await store.mutation(id: id) else {
            try await store.close()
            throw ValidationError(
                "there is no mutation \(id)\(records.isEmpty ? "" : " (but \(records.count) audit records name it)")")
        }
        let reviews = try await store.reviews(mutationID: id)
        var votes: [VoteRecord] = []
        for review in reviews {
            votes += try await store.votes(reviewID: review.id)
        }
        try await store.close()

        Output.line("mutation \(mutation.id) · \(mutation.resource) \(mutation.operation) · by \(mutation.actorID)")
        Output.line(
            "status   \(mutation.status) (revision \(mutation.revision))"
                + (mutation.tier.map { " · tier \($0)" } ?? "")
                + (mutation.policyVersion.map { " · policy \($0)" } ?? ""))
        Output.line("created  \(Self.time(mutation.createdAt)) · updated \(Self.time(mutation.updatedAt))")
        Output.line("content  sha256 \(mutation.contentHash)")
        if let key = mutation.idempotencyKey {
            Output.line("idempotency key \(key.debugDescription)")
        }
        for review in reviews {
            Output.line(
                "review   \(review.id) (\(review.mode.rawValue), \(review.status.rawValue)): "
                    + review.groups.map { "\($0.pool)×\($0.count)" }.joined(separator: " + ")
                    + (review.deadline.map { " · due \(Self.time($0))" } ?? "")
                    + (review.escalations > 0 ? " · escalated \(review.escalations)×" : ""))
            for vote in votes where vote.reviewID == review.id {
                Output.line(
                    "  vote   \(vote.reviewer) \(vote.decision.rawValue)"
                        + (vote.note.map { " \($0.debugDescription)" } ?? "")
                        + " · \(Self.time(vote.at)) · seq \(vote.auditSeq)")
            }
        }
        Output.line("")
        let actorWidth = max(5, records.map(\.actor.count).max() ?? 0)
        let kindWidth = max(4, records.map(\.kind.rawValue.count).max() ?? 0)
        Output.line(
            "\(Self.pad("seq", 7, right: true))  \(Self.pad("time", 27))  \(Self.pad("kind", kindWidth))  "
                + "\(Self.pad("actor", actorWidth))  payload")
        for record in records {
            let payload = full || record.payload.count <= 100 ? record.payload : record.payload.prefix(97) + "…"
            Output.line(
                "\(Self.pad(String(record.seq), 7, right: true))  \(AuditTime.rfc3339(micros: record.timeMicros))  "
                    + "\(Self.pad(record.kind.rawValue, kindWidth))  \(Self.pad(record.actor, actorWidth))  \(payload)"
                    + (record.policyVersion.map { "  [policy \($0)]" } ?? ""))
        }
    }

    private static func time(_ date: Date) -> String {
        AuditTime.rfc3339(micros: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
