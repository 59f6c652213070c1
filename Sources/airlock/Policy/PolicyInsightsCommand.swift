import AirlockCore
import AirlockEngine
import AirlockStore
import ArgumentParser
import CEL
import Foundation

/// `airlock policy insights [--since 30d]`: what reviewers and rollbacks say about each rule.
struct PolicyInsightsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insights",
        abstract: "Show, per rule, how its reviews went and which low-tier paths needed rollbacks.",
        discussion: """
            Reads the decisions of the window from the audit log with what became of them. For \
            each rule: the decisions it matched, the reviews opened on its word (it named the \
            tier the decision took), how many of those a person approved or rejected, how many \
            were rolled back, and the median time to a person's decision. For each low-tier path \
            (a rule, or a resource's default when no rule matched): its decisions and how many \
            were later rolled back. A rule whose reviews are approved nearly always (at least \
            --relax-at of at least --min-reviews, none rolled back) is marked a candidate to \
            relax; a low-tier path with rollbacks (at least --tighten-at of its decisions) a \
            candidate to tighten. Airlock changes nothing: a person decides.
            """
    )

    @Option(help: ArgumentHelp("How far back to look: a duration (24h, 30d) or an RFC 3339 time.", valueName: "since"))
    var since = "30d"

    @Option(help: ArgumentHelp("Reviews a person decided before a rule may be called a candidate to relax.", valueName: "n"))
    var minReviews = 20

    @Option(help: ArgumentHelp("Approval rate (0…1) at or above which a rule is a candidate to relax.", valueName: "rate"))
    var relaxAt = 0.95

    @Option(help: ArgumentHelp("Rollback rate (0…1) of a low-tier path at or above which it is a candidate to tighten.", valueName: "rate"))
    var tightenAt = 0.01

    @Flag(help: "Print the report as JSON.")
    var json = false

    @OptionGroup var store: StoreLocationOptions

    func validate() throws {
        guard minReviews >= 1 else { throw ValidationError("--min-reviews must be at least 1, not \(minReviews)") }
        for (name, value) in [("--relax-at", relaxAt), ("--tighten-at", tightenAt)] where !(0...1).contains(value) {
            throw ValidationError("\(name) must be a rate between 0 and 1, not \(value)")
        }
    }

    func run() async throws {
        let start = try SinceOption.start(since)
        let opened = try await store.openForReading()
        let history = try await RecordedHistory.read(from: opened, since: start)
        try await opened.close()
        var settings = Insights.Settings()
        settings.minimumReviews = minReviews
        settings.relaxAt = relaxAt
        settings.tightenAt = tightenAt
        let insights = Insights(history.cases, settings: settings)
        if json {
            Output.line(CanonicalJSON.encode(InsightsText.json(insights, history: history)))
        } else {
            for line in InsightsText.lines(insights, history: history, window: SinceOption.describe(since)) { Output.line(line) }
        }
    }
}

/// The insights for a person, and as JSON.
enum InsightsText {
    static func lines(_ insights: Insights, history: RecordedHistory, window: String) -> [String] {
        var out = ["insights (\(window)): \(insights.decisions) decisions"]
        if !history.unreadable.isEmpty {
            out.append("\(history.unreadable.count) decisions could not be read back and were left out, e.g. "
                + "\(history.unreadable[0].mutationID): \(history.unreadable[0].reason)")
        }
        guard !insights.rows.isEmpty else { return out }
        out.append("")
        var table = TextTable(
            header: ["rule", "decisions", "reviews", "approved", "rejected", "rolled back", "median review", "low-tier", "low rolled back", "suggestion"],
            indent: "  ")
        for row in insights.rows {
            let suggestions = insights.suggestions(for: row)
            table.append([
                row.path, "\(row.decisions)", "\(row.reviews)", "\(row.approved)", "\(row.rejected)", "\(row.reviewedRolledBack)",
                KPIText.seconds(row.medianReviewSeconds), "\(row.lowDecisions)", "\(row.lowRolledBack)",
                suggestions.isEmpty ? "·" : suggestions.map(\.rawValue).joined(separator: ", "),
            ])
        }
        out.append(contentsOf: table.lines)
        let relax = insights.rows.filter { insights.suggestions(for: $0).contains(.relax) }
        let tighten = insights.rows.filter { insights.suggestions(for: $0).contains(.tighten) }
        if !relax.isEmpty || !tighten.isEmpty { out.append("") }
        for row in relax {
            out.append(
                "candidate to relax: \(row.path): \(KPIText.percent(row.approvalRate)) of \(row.approved + row.rejected) reviews approved, "
                    + "none rolled back")
        }
        for row in tighten {
            out.append(
                "candidate to tighten: \(row.path): \(row.lowRolledBack) of \(row.lowDecisions) low-tier decisions rolled back "
                    + "(\(KPIText.percent(row.lowRollbackRate)))")
        }
        if !relax.isEmpty || !tighten.isEmpty {
            out.append("nothing is changed: try a candidate with `airlock policy replay` and `airlock policy shadow` first")
        }
        return out
    }

    static func json(_ insights: Insights, history: RecordedHistory) -> Value {
        func number(_ value: Double?) -> Value { value.map(Value.double) ?? .null }
        let rows: [Value] = insights.rows.map { row in
            .map(
                CELMap([
                    "path": .string(row.path), "decisions": .int(Int64(row.decisions)), "reviews": .int(Int64(row.reviews)),
                    "approved": .int(Int64(row.approved)), "rejected": .int(Int64(row.rejected)),
                    "reviewed_rolled_back": .int(Int64(row.reviewedRolledBack)), "approval_rate": number(row.approvalRate),
                    "median_review_seconds": number(row.medianReviewSeconds), "low_decisions": .int(Int64(row.lowDecisions)),
                    "low_rolled_back": .int(Int64(row.lowRolledBack)),
                    "suggestions": .list(insights.suggestions(for: row).map { .string($0.rawValue) }),
                ]))
        }
        return .map(
            CELMap([
                "decisions": .int(Int64(insights.decisions)), "rules": .list(rows),
                "unreadable": .list(history.unreadable.map { .map(CELMap(["mutation": .string($0.mutationID), "reason": .string($0.reason)])) }),
            ]))
    }
}
