import ArgumentParser
import CEL
import Foundation

/// `airlock policy shadow VERSION` / `--stop`: runs a stored policy version in shadow beside the
/// active one (admins), through the server.
struct PolicyShadowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow",
        abstract: "Run a stored policy version in shadow beside the active one, or stop it (admins).",
        discussion: """
            Every live mutation is then also decided by the candidate, with the same inputs and \
            without effect; both decisions are kept and `airlock policy shadow-report` shows how \
            often and where they disagree. One candidate runs at a time: starting another replaces \
            it. Upload the candidate first (PUT /v1/policies/{name}); VERSION is the version it \
            was stored as. Starting and stopping are audited.

            Examples:
              airlock policy shadow 3f2a…
              airlock policy shadow --stop
            """
    )

    @Argument(help: "The stored policy version to run in shadow.")
    var version: String?

    @Flag(help: "Stop the candidate running in shadow.")
    var stop = false

    @OptionGroup var client: ClientOptions

    func validate() throws {
        if stop == (version != nil) { throw ValidationError("give a VERSION to start, or --stop (not both)") }
    }

    func run() async throws {
        try await client.run { api throws(ClientError) in
            if stop {
                let answer = try await api.delete("/v1/policies/shadow")
                if client.json { return Console.write(answer.body) }
                let stopped = answer.json[field: "stopped"]
                Console.print("stopped the shadow run of \(stopped[field: "version"].stringValue ?? "?") (running since \(stopped[field: "since"].stringValue ?? "?"))")
            } else if let version {
                let answer = try await api.post("/v1/policies/\(APIClient.pathSegment(version))/shadow", json: .map(CELMap()))
                if client.json { return Console.write(answer.body) }
                Console.print("policy version \(answer.json[field: "version"].stringValue ?? version) runs in shadow since \(answer.json[field: "since"].stringValue ?? "?")")
            }
        }
    }
}

/// `airlock policy shadow-report`: how often and where the shadow candidate disagrees with the
/// active policy.
struct PolicyShadowReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow-report",
        abstract: "Show how often and where the shadow candidate disagrees with the active policy.",
        discussion: """
            Reports on the candidate running now, or with --version on an earlier one (its \
            results are kept after it stops). Disagreements are counted by pair of tiers (active \
            → candidate), by rule (matched under one policy only) and by resource; the latest \
            ones are listed. Reviewers, admins and auditors may read it.
            """
    )

    @Option(help: "The candidate version to report on (default: the one running, else the latest).")
    var version: String?

    @Option(help: ArgumentHelp("Only decisions since this RFC 3339 time or this long ago (24h, 7d).", valueName: "since"))
    var since: String?

    @OptionGroup var client: ClientOptions

    func run() async throws {
        var query: [(String, String)] = []
        if let version { query.append(("version", version)) }
        if let since {
            let start = try SinceOption.start(since)
            query.append(("since", RFC3339Text.format(start)))
        }
        try await client.run { api throws(ClientError) in
            let answer = try await api.get("/v1/policies/shadow", query: query)
            if client.json { return Console.write(answer.body) }
            Console.print(ShadowReportText.lines(answer.json).joined(separator: "\n"))
        }
    }
}

/// The shadow report for a person.
enum ShadowReportText {
    static func lines(_ report: Value) -> [String] {
        guard let version = report[field: "version"].stringValue else { return ["no policy has run in shadow"] }
        var out: [String] = []
        let running = report[field: "running"]
        let state = running[field: "version"].stringValue == version
            ? "running since \(running[field: "since"].stringValue ?? "?")" : "not running now"
        let evaluated = report[field: "evaluated"].intValue ?? 0
        let disagreements = report[field: "disagreements"].intValue ?? 0
        out.append("shadow candidate \(version.prefix(12)) (\(state))")
        let rate = evaluated == 0 ? "" : String(format: " (%.1f%%)", Double(disagreements) * 100 / Double(evaluated))
        out.append("\(evaluated) decisions evaluated, \(disagreements) disagreements\(rate)")
        let pairs = report[field: "pairs"].listValue
        if !pairs.isEmpty {
            out.append("")
            out.append("by tier (active → candidate):")
            var table = TextTable(header: ["active", "candidate", "decisions"], indent: "  ")
            for pair in pairs {
                table.append([pair[field: "active"].stringValue ?? "", pair[field: "shadow"].stringValue ?? "", "\(pair[field: "count"].intValue ?? 0)"])
            }
            out.append(contentsOf: table.lines)
        }
        let rules = report[field: "rules"].listValue
        if !rules.isEmpty {
            out.append("")
            out.append("by rule (among disagreements):")
            var table = TextTable(header: ["rule", "active only", "candidate only", "both, tier or score differs"], indent: "  ")
            for rule in rules {
                table.append([
                    rule[field: "rule"].stringValue ?? "", "\(rule[field: "active_only"].intValue ?? 0)", "\(rule[field: "shadow_only"].intValue ?? 0)",
                    "\(rule[field: "matched_both"].intValue ?? 0)",
                ])
            }
            out.append(contentsOf: table.lines)
        }
        let resources = report[field: "resources"].listValue
        if !resources.isEmpty {
            out.append("")
            out.append("by resource:")
            var table = TextTable(header: ["resource", "evaluated", "disagreements"], indent: "  ")
            for resource in resources {
                table.append([
                    resource[field: "resource"].stringValue ?? "", "\(resource[field: "evaluated"].intValue ?? 0)",
                    "\(resource[field: "disagreements"].intValue ?? 0)",
                ])
            }
            out.append(contentsOf: table.lines)
        }
        let recent = report[field: "recent"].listValue
        if !recent.isEmpty {
            out.append("")
            out.append("latest disagreements:")
            for item in recent {
                let active = item[field: "active"]
                let shadow = item[field: "shadow"]
                out.append(
                    "  \(item[field: "mutation"].stringValue ?? "") \(item[field: "resource"].stringValue ?? ""): "
                        + "\(active[field: "tier"].stringValue ?? "?") → \(shadow[field: "tier"].stringValue ?? "?")"
                        + " (active: \(Self.why(active)); candidate: \(Self.why(shadow)))")
            }
        }
        return out
    }

    /// Why one side decided as it did: its rules, why the mutation was invalid to it, or that
    /// no rule matched.
    static func why(_ side: Value) -> String {
        let rules = side[field: "rules"].stringList
        if !rules.isEmpty { return rules.joined(separator: ", ") }
        if let invalid = side[field: "decision"][field: "invalid"].stringValue { return "invalid: \(invalid)" }
        return "no rule matched"
    }
}

/// RFC 3339 text of a `Date`, for query parameters.
enum RFC3339Text {
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
