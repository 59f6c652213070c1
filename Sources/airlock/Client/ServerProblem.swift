import CEL
import Foundation

/// A refusal from the server, read from its `application/problem+json` answer (RFC 9457):
/// status, title, detail, the individual errors when there are several, and the id of the
/// mutation it concerns when one was recorded (an invalid mutation is kept, as `rejected`).
struct ServerProblem: Sendable {
    var status: Int
    var title: String
    var detail: String
    var errors: [(path: String, message: String)]
    /// The recorded mutation's id, for an invalid mutation.
    var mutationID: String?
    /// The answer's body as received, for `--json`.
    var body: Data

    /// Reads a problem answer; a body that is not a problem (a proxy's HTML page, say) still
    /// gives the status and the start of its text.
    init(status: Int, body: Data) {
        self.status = status
        self.body = body
        let text = String(decoding: body, as: UTF8.self)
        let json = (try? Value(json: text)) ?? .null
        title = json[field: "title"].stringValue ?? "HTTP \(status)"
        detail = json[field: "detail"].stringValue ?? String(text.prefix(300)).trimmingCharacters(in: .whitespacesAndNewlines)
        errors = json[field: "errors"].listValue.map { error in
            (error[field: "path"].stringValue ?? "", error[field: "message"].stringValue ?? error.displayText)
        }
        mutationID = json[field: "id"].stringValue
    }

    /// The lines a person reads on standard error.
    var lines: [String] {
        var lines = ["\(status) \(title): \(detail)"]
        for error in errors {
            lines.append(error.path.isEmpty ? "  \(error.message)" : "  \(error.path): \(error.message)")
        }
        if let mutationID { lines.append("mutation id: \(mutationID)") }
        return lines
    }
}
