import CEL
import Foundation

/// What a model reads about a mutation: its state in a few lines it can act on and repeat to its
/// user — the decision, the reasons, who must approve and by when, and how it ended.
public enum DecisionText {
    /// The summary of a mutation's view (the API's JSON).
    public static func summary(_ view: Value) -> String {
        let id = view.member("id").stringValue ?? "?"
        let status = view.member("status").stringValue ?? "?"
        let tier = view.member("tier").stringValue ?? "none"
        var score = ""
        if case .int = view.member("score") { score = ", score \(text(view.member("score")))" }
        var lines = ["Mutation \(id): \(status) (tier \(tier)\(score))."]
        lines.append(contentsOf: outcome(view))
        let reasons = view.member("reasons").listValue.compactMap { reason -> String? in
            guard let rule = reason.member("rule").stringValue else { return nil }
            return "- \(rule): \(reason.member("message").stringValue ?? "")"
        }
        if !reasons.isEmpty { lines.append("Reasons:\n" + reasons.joined(separator: "\n")) }
        let errors = view.member("errors").listValue.map { "- \($0.member("path").stringValue ?? ""): \($0.member("message").stringValue ?? "")" }
        if !errors.isEmpty { lines.append("Problems:\n" + errors.joined(separator: "\n")) }
        if status == "pending_review" {
            lines.append("Follow it with get_mutation {\"id\": \"\(id)\", \"wait_seconds\": 60}: the call returns as soon as it changes.")
        }
        return lines.joined(separator: "\n")
    }

    /// The line or two on where the mutation stands.
    static func outcome(_ view: Value) -> [String] {
        let approvals = view.member("approvals")
        let received = approvals.member("received").listValue
        let rejections = approvals.member("rejections").listValue
        switch view.member("status").stringValue ?? "" {
        case "pending_review":
            let groups = approvals.member("groups").listValue.map { group in
                "\(group.member("pool").stringValue ?? "?"): \(text(group.member("approved"))) of \(text(group.member("count")))"
            }
            var line = "It waits for human approval: \(groups.joined(separator: ", ")) approvals so far"
            if let deadline = approvals.member("deadline").stringValue { line += "; deadline \(deadline)" }
            return [line + ". It is not executed until then; tell the user it is waiting for review."]
        case "approved":
            let by = received.compactMap { $0.member("reviewer").stringValue }
            return ["It is approved" + (by.isEmpty ? " by the policy" : " by \(by.joined(separator: ", "))") + "; the caller executes it."]
        case "executing": return ["It is being executed."]
        case "executed":
            let by = received.compactMap { $0.member("reviewer").stringValue }
            return ["It was executed" + (by.isEmpty ? "." : ", approved by \(by.joined(separator: ", ")).")]
        case "rejected":
            if let vote = rejections.first {
                let note = vote.member("note").stringValue.map { ": \"\($0)\"" } ?? ""
                return ["It was rejected by \(vote.member("reviewer").stringValue ?? "a reviewer")\(note). It will not be executed."]
            }
            if view.member("tier").stringValue == "block" { return ["It is blocked by the policy and will not be executed."] }
            if case .list = view.member("errors") { return ["It was refused: it does not fit the resource's schema."] }
            return ["It was rejected and will not be executed."]
        case "expired": return ["It expired: nobody approved it before the deadline. It was not executed."]
        case "failed": return ["Its execution failed."]
        case "rolled_back":
            let note = rejections.first?.member("note").stringValue.map { " (\"\($0)\")" } ?? ""
            return ["It was executed and then rolled back\(note)."]
        case "superseded":
            return ["A reviewer asked for changes: it was replaced by the revision \(view.member("superseded_by").stringValue ?? "?")."]
        default: return []
        }
    }

    /// A refusal of the API (a problem) in a sentence.
    public static func problem(_ answer: MCPAnswer) -> String {
        let title = answer["title"].stringValue ?? "Refused"
        let detail = answer["detail"].stringValue ?? answer.json.jsonString()
        let errors = answer["errors"].listValue.map {
            "- \($0.member("path").stringValue ?? $0.member("field").stringValue ?? ""): \($0.member("message").stringValue ?? "")"
        }
        return "\(title) (HTTP \(answer.status)): \(detail)" + (errors.isEmpty ? "" : "\n" + errors.joined(separator: "\n"))
    }

    static func text(_ value: Value) -> String {
        switch value {
        case .string(let s): return s
        case .int(let x): return String(x)
        case .uint(let x): return String(x)
        case .double(let x) where x == x.rounded(): return String(Int64(x))
        default: return value.jsonString()
        }
    }
}
