import AirlockCore
import AirlockEngine
import AirlockStore
import ArgumentParser
import CEL
import Foundation

/// `airlock policy replay CANDIDATE [--since 7d]`: past decisions decided again under a candidate.
struct PolicyReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Decide past decisions again under a candidate pack and show what would change.",
        discussion: """
            Reads the decisions of the window from the audit log (each `decided` record keeps the \
            inputs the rules saw: the mutation, actor, signals, system state and time) and decides \
            each again under CANDIDATE. Prints the table of tiers then against tiers under the \
            candidate, the rules that account for the changes, and the mutations a person \
            rejected that the candidate would have let run before anyone looked (low, or medium \
            where they had waited). Nothing is written. Exit status 0, or 1 when the candidate \
            would have let through a mutation a person rejected.
            """
    )

    @Argument(help: "The candidate pack: a YAML file or a directory of YAML files.")
    var candidate: String

    @Option(help: ArgumentHelp("How far back to replay: a duration (30m, 24h, 7d) or an RFC 3339 time.", valueName: "since"))
    var since = "7d"

    @Option(
        help: ArgumentHelp(
            "At most this many of the other changed decisions are listed (all are counted); the rejected ones the candidate lets through are always listed.",
            valueName: "n"))
    var list = 20

    @Flag(help: "Print the report as JSON.")
    var json = false

    @OptionGroup var store: StoreLocationOptions

    func run() async throws {
        let start = try SinceOption.start(since)
        let pack = try PolicyIO.loadPack(candidate)
        let opened = try await store.openForReading()
        let started = DispatchTime.now().uptimeNanoseconds
        // Each page of the log is decided again as it is read: the cases are not kept, so a long
        // window needs the memory of one page.
        let (history, report, replaySeconds) = try await RecordedHistory.replay(
            from: opened, since: start, candidate: PolicyEngine(pack: pack),
            tasks: ProcessInfo.processInfo.activeProcessorCount)
        try await opened.close()
        let done = DispatchTime.now().uptimeNanoseconds
        let timing = ReplayTiming(
            totalSeconds: Double(done - started) / 1e9, replaySeconds: replaySeconds,
            decisions: report.replayed + report.refused.count)
        if json {
            Output.line(CanonicalJSON.encode(ReplayText.json(report, history: history, timing: timing)))
        } else {
            for line in ReplayText.lines(report, history: history, since: since, timing: timing, list: list) { Output.line(line) }
        }
        if !report.missedRejections.isEmpty { throw ExitCode.failure }
    }
}

/// How long the replay took: in all, and reading decisions back and deciding them again (the
/// rest is reading the store).
struct ReplayTiming {
    var totalSeconds: Double
    var replaySeconds: Double
    var decisions: Int

    var perSecond: Double { replaySeconds > 0 ? Double(decisions) / replaySeconds : 0 }
}

/// The replay report for a person, and as JSON.
enum ReplayText {
    static func lines(_ report: ReplayReport, history: RecordedHistory, since: String, timing: ReplayTiming, list: Int)
        -> [String]
    {
        var out: [String] = []
        out.append(
            "replayed \(report.replayed) decisions (\(SinceOption.describe(since))) under \(report.candidateName) "
                + "(version \(report.candidateVersion.prefix(12))): \(report.changed) change tier")
        out.append(
            String(
                format: "read %d audit records in %.2f s, of which %.3f s reading %d decisions back and deciding them again (%.0f decisions/s)",
                history.records, timing.totalSeconds, timing.replaySeconds, timing.decisions, timing.perSecond))
        if !history.unreadable.isEmpty {
            out.append("\(history.unreadable.count) decisions could not be read back and were left out, e.g. "
                + "\(history.unreadable[0].mutationID): \(history.unreadable[0].reason)")
        }
        if !report.refused.isEmpty {
            out.append("\(report.refused.count) mutations the candidate refuses as invalid, e.g. "
                + "\(report.refused[0].mutationID): \(report.refused[0].reason)")
        }
        out.append("")
        out.append("tiers then (rows) against tiers under the candidate (columns):")
        var table = TextTable(header: ["then \\ candidate"] + Tier.allCases.map(\.rawValue), indent: "  ")
        for old in Tier.allCases {
            table.append([old.rawValue] + Tier.allCases.map { new in
                let n = report.count(from: old, to: new)
                return old == new ? "\(n)" : (n == 0 ? "·" : "\(n)")
            })
        }
        out.append(contentsOf: table.lines)
        if !report.rules.isEmpty {
            out.append("")
            out.append("rules that account for the changes:")
            var rules = TextTable(header: ["rule", "newly matches", "no longer matches", "matches, tier or score changed"], indent: "  ")
            func total(_ shift: ReplayReport.RuleShift) -> Int { shift.newlyMatched + shift.noLongerMatched + shift.matchedBoth }
            for (rule, shift) in report.rules.sorted(by: { (total($0.value), $1.key) > (total($1.value), $0.key) }) {
                rules.append([rule, "\(shift.newlyMatched)", "\(shift.noLongerMatched)", "\(shift.matchedBoth)"])
            }
            out.append(contentsOf: rules.lines)
        }
        out.append("")
        if report.missedRejections.isEmpty {
            out.append("rejected by a person but let through by the candidate: none")
        } else {
            out.append("rejected by a person but let through by the candidate: \(report.missedRejections.count)")
            // Every one of them, whatever --list says: this is the number that matters most.
            for change in report.missedRejections { out.append("  " + describe(change)) }
        }
        let others = report.changes.filter { !$0.outcome.rejectedByPerson }
        if !others.isEmpty {
            out.append("")
            out.append("other changes (\(others.count)\(others.count > list ? ", first \(list)" : "")):")
            for change in others.prefix(list) { out.append("  " + describe(change)) }
        }
        return out
    }

    static func describe(_ change: ReplayReport.Change) -> String {
        var text = "\(change.mutationID) \(change.resource): \(change.old.rawValue) → \(change.new.rawValue)"
        if !change.rulesAdded.isEmpty { text += "; now matches \(change.rulesAdded.joined(separator: ", "))" }
        if !change.rulesRemoved.isEmpty { text += "; no longer matches \(change.rulesRemoved.joined(separator: ", "))" }
        if !change.rulesChanged.isEmpty { text += "; same rules, changed: \(change.rulesChanged.joined(separator: ", "))" }
        if change.outcome.rolledBack { text += " (rolled back)" }
        return text
    }

    static func json(_ report: ReplayReport, history: RecordedHistory, timing: ReplayTiming) -> Value {
        var map = CELMap()
        map["candidate"] = .map(CELMap(["name": .string(report.candidateName), "version": .string(report.candidateVersion)]))
        map["replayed"] = .int(Int64(report.replayed))
        map["changed"] = .int(Int64(report.changed))
        var confusion = CELMap()
        for (old, row) in report.confusion {
            var r = CELMap()
            for (new, n) in row { r[new.rawValue] = .int(Int64(n)) }
            confusion[old.rawValue] = .map(r)
        }
        map["confusion"] = .map(confusion)
        var rules = CELMap()
        for (rule, shift) in report.rules {
            rules[rule] = .map(
                CELMap([
                    "newly_matched": .int(Int64(shift.newlyMatched)), "no_longer_matched": .int(Int64(shift.noLongerMatched)),
                    "matched_both": .int(Int64(shift.matchedBoth)),
                ]))
        }
        map["rules"] = .map(rules)
        map["missed_rejections"] = .list(report.missedRejections.map(changeJSON))
        map["changes"] = .list(report.changes.map(changeJSON))
        map["refused"] = .list(report.refused.map { .map(CELMap(["mutation": .string($0.mutationID), "reason": .string($0.reason)])) })
        map["unreadable"] = .list(history.unreadable.map { .map(CELMap(["mutation": .string($0.mutationID), "reason": .string($0.reason)])) })
        map["decisions_per_second"] = .double(timing.perSecond.rounded())
        return .map(map)
    }

    static func changeJSON(_ change: ReplayReport.Change) -> Value {
        .map(
            CELMap([
            "mutation": .string(change.mutationID), "resource": .string(change.resource), "old": .string(change.old.rawValue),
            "new": .string(change.new.rawValue), "rules_added": .list(change.rulesAdded.map(Value.string)),
            "rules_removed": .list(change.rulesRemoved.map(Value.string)), "rules_changed": .list(change.rulesChanged.map(Value.string)),
            "rejected_by_person": .bool(change.outcome.rejectedByPerson),
            "rolled_back": .bool(change.outcome.rolledBack),
        ]))
    }
}
