import AirlockCore
import AirlockEngine
import AirlockStore
import ArgumentParser
import Foundation

/// `airlock kpi [--since 24h]`: the KPI table, read from the store.
struct KPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpi",
        abstract: "Print the KPIs of a window, read from the store.",
        discussion: """
            Decision latency (from receiving a mutation to its decision, median and p95), the \
            automated approval rate (decisions that ran without waiting: low and medium), the \
            escalation rate (reviews that escalated), the rollback frequency (rollbacks per \
            execution), the policy conformity rate (executions whose read-back matched the \
            decision), and per pool and per reviewer: votes, approval rate and median time to \
            decide. Reads the audit log and votes of the state directory (or --config's).
            """
    )

    @Option(help: ArgumentHelp("The window: a duration back from now (24h, 7d) or an RFC 3339 time.", valueName: "since"))
    var since = "24h"

    @OptionGroup var store: StoreLocationOptions

    func run() async throws {
        let start = try SinceOption.start(since)
        let opened = try await store.openForReading()
        let table = try await KPITable.read(from: opened, since: start)
        try await opened.close()
        for line in KPIText.lines(table, window: SinceOption.describe(since)) { Output.line(line) }
    }
}

/// The KPI table for a person.
enum KPIText {
    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0 * 100) } ?? "–"
    }

    static func seconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return value < 120 ? String(format: "%.0f s", value) : String(format: "%.1f min", value / 60)
    }

    static func lines(_ table: KPITable, window: String) -> [String] {
        var out = ["KPIs (\(window)): \(table.decided) decisions"]
        var main = TextTable(header: ["measure", "value"], indent: "  ")
        let tiers = Tier.allCases.map { "\($0.rawValue) \(table.tiers[$0] ?? 0)" }.joined(separator: ", ")
        main.append(["decisions by tier", tiers])
        main.append([
            "decision latency (median, p95)",
            "\(table.medianDecisionMicroseconds.map { String(format: "%.2f ms", $0 / 1000) } ?? "–"), "
                + "\(table.p95DecisionMicroseconds.map { String(format: "%.2f ms", $0 / 1000) } ?? "–")",
        ])
        main.append(["automated approval rate", percent(table.automatedApprovalRate)])
        main.append(["escalation rate", "\(percent(table.escalationRate)) of \(table.reviewsOpened) reviews"])
        main.append(["rollback frequency", "\(percent(table.rollbackFrequency)) of \(table.executed) executions"])
        main.append(["policy conformity rate", "\(percent(table.conformityRate)) (\(table.mismatched) executions did not match)"])
        out.append(contentsOf: main.lines)
        for (title, rows) in [("per pool", table.pools), ("per reviewer", table.reviewers)] where !rows.isEmpty {
            out.append("")
            out.append("\(title):")
            var stats = TextTable(
                header: [title == "per pool" ? "pool" : "reviewer", "votes", "approval rate", "median time to decide"]
                    + (title == "per pool" ? ["reviewers"] : []), indent: "  ")
            for row in rows {
                stats.append(
                    [row.name, "\(row.votes)", percent(row.approvalRate), seconds(row.medianSecondsToDecide)]
                        + (title == "per pool" ? ["\(row.reviewers)"] : []))
            }
            out.append(contentsOf: stats.lines)
        }
        return out
    }
}
