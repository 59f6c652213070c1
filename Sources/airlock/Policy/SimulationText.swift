import AirlockCore
import Foundation

/// The text form of a simulation report, for a person at a terminal.
struct SimulationText {
    var report: SimulationReport
    var stream: String
    var show: Int

    var text: String {
        var lines: [String] = []
        lines.append("policy \(report.policyName), version \(report.policyVersion.prefix(12))")
        let count = report.total.total
        if let span = report.span {
            lines.append(
                "stream \(stream): \(Self.number(count)) mutation\(count == 1 ? "" : "s") by \(Self.number(report.actors)) actor\(report.actors == 1 ? "" : "s"), \(RFC3339.format(span.first)) to \(RFC3339.format(span.last))"
            )
        } else {
            lines.append("stream \(stream): no mutations")
        }
        lines.append("")
        lines.append("Routed tiers (medium on an irreversible resource counts as high):")
        var table = TextTable(header: ["RESOURCE", "LOW", "MEDIUM", "HIGH", "BLOCK", "INVALID", "TOTAL"], indent: "  ")
        for entry in report.resources {
            table.append([entry.resource.isEmpty ? "(none)" : entry.resource] + Self.cells(entry.counts))
        }
        table.append(["all"] + Self.cells(report.total))
        lines += table.lines
        lines.append("")
        lines += labelled
        if let workload = report.workload {
            lines.append("")
            lines += Self.workload(workload, peakOpen: report.peakOpenReviews)
        } else {
            lines.append("")
            lines.append(
                "Reviews opened: \(Self.number(report.total.medium + report.total.high)); at most \(report.peakOpenReviews) open at once (nobody reviewing: give --reviewers POOL=N for a workload forecast)."
            )
        }
        return lines.joined(separator: "\n")
    }

    private var labelled: [String] {
        let bad = report.bad
        let benign = report.benign
        guard bad.total + benign.total > 0 else {
            return ["No labels in the stream: no catch or automation rate (label lines \"benign\" or \"bad\")."]
        }
        var lines: [String] = []
        lines.append(
            "Labelled: \(Self.number(bad.total)) bad, \(Self.number(benign.total)) benign, \(Self.number(report.unlabelled)) unlabelled.")
        if let rate = report.catchRate {
            lines.append(
                "  catch rate       \(Self.percent(rate))  \(Self.number(bad.heldOrRefused)) of \(Self.number(bad.total)) bad would wait for a person or be refused (high \(Self.number(bad.high)), block \(Self.number(bad.block)), invalid \(Self.number(bad.invalid)))"
            )
        }
        if let rate = report.automationRate {
            lines.append(
                "  automation rate  \(Self.percent(rate))  \(Self.number(benign.ranWithoutWaiting)) of \(Self.number(benign.total)) benign would run without waiting (low \(Self.number(benign.low)), medium \(Self.number(benign.medium)) reviewed after the fact)"
            )
        }
        if report.slipped.isEmpty {
            if bad.total > 0 { lines.append("  No bad mutation would run.") }
            return lines
        }
        lines.append("")
        lines.append("Bad mutations that would run (\(report.slipped.count)):")
        var table = TextTable(header: ["LINE", "TIME", "ACTOR", "MUTATION", "TIER", "SCORE", "RULES"], indent: "  ")
        for slip in report.slipped.prefix(max(0, show)) {
            let line = slip.id.map { "\(slip.line) (\($0))" } ?? "\(slip.line)"
            table.append([
                line, RFC3339.format(slip.time), slip.actor, "\(slip.resource) \(slip.operation)", slip.tier.rawValue,
                "\(slip.score)", slip.rules.isEmpty ? "-" : slip.rules.joined(separator: ", "),
            ])
        }
        lines += table.lines
        if report.slipped.count > show {
            lines.append("  … and \(report.slipped.count - max(0, show)) more (--show N, or --json for all)")
        }
        return lines
    }

    private static func workload(_ forecast: WorkloadForecast, peakOpen: Int) -> [String] {
        var lines: [String] = []
        lines.append(
            "Reviewer workload (\(number(forecast.reviewMinutes)) min per approval; each pool first come, first served):")
        var table = TextTable(
            header: ["POOL", "REVIEWERS", "APPROVALS", "PER HOUR", "PEAK HOUR", "PEAK QUEUE", "LATE", "WAIT MEAN", "WAIT MAX"],
            indent: "  ")
        for pool in forecast.pools {
            let given = pool.approvals - pool.neverGiven
            table.append([
                pool.name, pool.reviewers == 0 ? "none" : "\(pool.reviewers)", number(pool.approvals),
                String(format: "%.1f", pool.approvalsPerHour), number(pool.peakHourApprovals), number(pool.peakQueue),
                pool.neverGiven > 0 ? "\(number(pool.late)) (\(number(pool.neverGiven)) never)" : number(pool.late),
                given == 0 ? "-" : minutes(pool.meanMinutes), given == 0 ? "-" : minutes(pool.maxMinutes),
            ])
        }
        lines += table.lines
        var summary =
            "  \(number(forecast.reviews)) review\(forecast.reviews == 1 ? "" : "s") opened, \(number(forecast.lateReviews)) would finish after their SLA"
        if forecast.neverCompleted > 0 { summary += " (\(number(forecast.neverCompleted)) never: a pool too small or unstaffed)" }
        if forecast.withoutSLA > 0 { summary += "; \(number(forecast.withoutSLA)) have no SLA" }
        lines.append(summary + "; at most \(number(peakOpen)) open at once.")
        return lines
    }

    private static func cells(_ counts: SimulationReport.TierCounts) -> [String] {
        [counts.low, counts.medium, counts.high, counts.block, counts.invalid, counts.total].map(number)
    }

    static func percent(_ rate: Double) -> String { String(format: "%5.1f %%", rate * 100) }

    static func minutes(_ value: Double) -> String {
        value >= 120 ? String(format: "%.1f h", value / 60) : String(format: "%.1f min", value)
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? number(Int(value)) : String(format: "%g", value)
    }

    /// `1,234,567`.
    static func number(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }
}
