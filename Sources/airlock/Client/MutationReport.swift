import CEL
import Foundation

/// A mutation as readable text: a summary, the reasons, the approvals, and on request the
/// changes and a timeline of what happened to it.
struct MutationReport {
    var mutation: RemoteMutation
    var time: DisplayTime

    /// The parts to print beyond the summary.
    struct Sections: OptionSet {
        let rawValue: Int
        static let changes = Sections(rawValue: 1)
        static let timeline = Sections(rawValue: 2)
    }

    /// The report's lines.
    func lines(_ sections: Sections = []) -> [String] {
        var lines = summary
        if !mutation.errors.isEmpty {
            lines.append("errors")
            for error in mutation.errors { lines.append("  \(error.path): \(error.message)") }
        }
        if !mutation.reasons.isEmpty {
            var table = TextTable(indent: "  ")
            for reason in mutation.reasons { table.append([reason.rule, reason.message]) }
            lines.append("reasons")
            lines += table.lines
        }
        if let approvals = mutation.approvals { lines.append("review  " + Self.progress(approvals, time: time)) }
        if sections.contains(.changes) {
            lines.append("changes")
            var table = TextTable(indent: "  ")
            for field in mutation.changes.fields { table.append([field.name, field.value.displayText]) }
            lines += table.rows.isEmpty ? ["  (none)"] : table.lines
        }
        if sections.contains(.timeline) {
            lines.append("timeline")
            lines += timeline
        }
        return lines
    }

    /// The id and status, then what, who, how it was scored.
    private var summary: [String] {
        let m = mutation
        var table = TextTable(indent: "  ")
        table.append(["mutation", m.resource + " " + m.operation + Self.targetText(m)])
        table.append(["actor", m.actor])
        table.append(["tier", (m.tier ?? "none") + (m.score.map { ", score \($0)" } ?? "")])
        if let version = m.policyVersion { table.append(["policy", version]) }
        if !m.dataClasses.isEmpty { table.append(["data", m.dataClasses.joined(separator: ", ")]) }
        table.append(["created", time.absolute(m.createdAt)])
        if m.updatedAt != m.createdAt { table.append(["updated", time.absolute(m.updatedAt)]) }
        return ["\(m.id)  \(m.status)"] + table.lines
    }

    /// What happened, in order: submitted and scored, each vote, and where it stands now.
    private var timeline: [String] {
        let m = mutation
        var events: [(at: String, text: String)] = [
            (
                m.createdAt,
                "submitted by \(m.actor)" + (m.tier.map { "; tier \($0)" } ?? "") + (m.score.map { ", score \($0)" } ?? "")
            )
        ]
        if let approvals = m.approvals {
            events.append((m.createdAt, "review opened: needs \(Self.requirement(approvals)) (\(approvals.mode))"))
            for vote in approvals.received { events.append((vote.at, "approved by \(vote.reviewer)" + Self.noteText(vote.note))) }
            for vote in approvals.rejections {
                events.append((vote.at, "rejected by \(vote.reviewer)" + Self.noteText(vote.note)))
            }
        }
        events.append((m.updatedAt, "now \(m.status)"))
        let ordered = events.enumerated().sorted { a, b in
            let (x, y) = (DisplayTime.parse(a.element.at), DisplayTime.parse(b.element.at))
            if let x, let y, x != y { return x < y }
            return a.offset < b.offset
        }
        var table = TextTable(indent: "  ")
        for event in ordered { table.append([time.absolute(event.element.at), event.element.text]) }
        return table.lines
    }

    /// `1 of 2 approvals from finance; blocking, open; due 2025-03-01 14:05:09Z (in 3h 59m)`.
    static func progress(_ approvals: RemoteMutation.Approvals, time: DisplayTime) -> String {
        var parts = [tally(approvals)]
        let state = [approvals.mode, approvals.state].filter { !$0.isEmpty }.joined(separator: ", ")
        if !state.isEmpty { parts.append(state) }
        if approvals.state == "open", let deadline = approvals.deadline { parts.append("due \(time.withDistance(deadline))") }
        if !approvals.rejections.isEmpty {
            parts.append("rejected by " + approvals.rejections.map(\.reviewer).joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    /// `1 of 2 approvals from finance`.
    static func tally(_ approvals: RemoteMutation.Approvals) -> String {
        "\(approvals.received.count) of \(requirement(approvals))"
    }

    /// `2 approvals from finance`, or `3 approvals from finance ×2, privacy ×1` when several
    /// pools must agree.
    static func requirement(_ approvals: RemoteMutation.Approvals) -> String {
        let noun = approvals.required == 1 ? "approval" : "approvals"
        if approvals.groups.count > 1 {
            return "\(approvals.required) \(noun) from "
                + approvals.groups.map { "\($0.pool) ×\($0.count)" }.joined(separator: ", ")
        }
        return "\(approvals.required) \(noun) from \(approvals.pool)"
    }

    /// ` tr-1`, ` [a, b]`, or nothing.
    static func targetText(_ mutation: RemoteMutation) -> String {
        if let target = mutation.target { return " " + target }
        if !mutation.targets.isEmpty { return " [" + mutation.targets.joined(separator: ", ") + "]" }
        return ""
    }

    private static func noteText(_ note: String?) -> String {
        guard let note, !note.isEmpty else { return "" }
        return ": \"\(note)\""
    }
}
