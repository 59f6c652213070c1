import CEL
import Foundation

/// The gateway's mutation and review routes, typed.
extension APIClient {
    /// The longest wait the server holds a request for (`?wait=` is at most 60).
    static let longestServerWait: Double = 60

    /// `POST /v1/mutations`: submits a mutation document.
    func submit(_ document: Value, idempotencyKey: String?) async throws(ClientError) -> (Answer, RemoteMutation) {
        let headers = idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:]
        let answer = try await post("/v1/mutations", json: document, headers: headers)
        return (answer, try mutation(in: answer))
    }

    /// `GET /v1/mutations/{id}`.
    func mutation(_ id: String) async throws(ClientError) -> (Answer, RemoteMutation) {
        let answer = try await get("/v1/mutations/" + Self.pathSegment(id))
        return (answer, try mutation(in: answer))
    }

    /// `GET /v1/mutations/{id}?wait=…&status=…`: the mutation once its status is no longer
    /// `status`, or after `seconds` (at most ``longestServerWait``), whichever comes first.
    func mutation(_ id: String, changingFrom status: String, within seconds: Double) async throws(ClientError)
        -> (Answer, RemoteMutation)
    {
        let wait = min(max(seconds, 0), Self.longestServerWait)
        let answer = try await get(
            "/v1/mutations/" + Self.pathSegment(id),
            query: [("wait", Self.secondsText(wait)), ("status", status)],
            timeout: wait + 30)
        return (answer, try mutation(in: answer))
    }

    /// `GET /v1/reviews`: the open reviews the caller may act on, oldest first.
    func openReviews() async throws(ClientError) -> (Answer, [OpenReview]) {
        let answer = try await get("/v1/reviews")
        return (answer, answer.json[field: "items"].listValue.compactMap(OpenReview.init(json:)))
    }

    /// `POST /v1/mutations/{id}/approve` or `/reject`, with an optional note, bound to the
    /// mutation as the reviewer was shown it (`seen`): the server refuses it with 409 when the
    /// mutation's content hash or policy version is no longer that.
    func vote(on id: String, approve: Bool, note: String?, seen: RemoteMutation? = nil) async throws(ClientError)
        -> (Answer, RemoteMutation)
    {
        var body = CELMap()
        if let note { body["note"] = .string(note) }
        if let hash = seen?.contentHash { body["content_hash"] = .string(hash) }
        if let version = seen?.policyVersion { body["policy_version"] = .string(version) }
        let answer = try await post("/v1/mutations/\(Self.pathSegment(id))/\(approve ? "approve" : "reject")", json: .map(body))
        return (answer, try mutation(in: answer))
    }

    /// `POST /v1/mutations/{id}/rollback` with the note that says why.
    func rollback(_ id: String, note: String, force: Bool = false) async throws(ClientError) -> (Answer, RemoteMutation) {
        var body = CELMap([(.string("note"), .string(note))])
        if force { body["force"] = .bool(true) }
        let answer = try await post("/v1/mutations/\(Self.pathSegment(id))/rollback", json: .map(body))
        return (answer, try mutation(in: answer))
    }

    private func mutation(in answer: Answer) throws(ClientError) -> RemoteMutation {
        guard let mutation = RemoteMutation(json: answer.json) else {
            throw .unexpectedAnswer(url: baseURL.absoluteString, status: answer.status, reason: "the answer is not a mutation")
        }
        return mutation
    }

    private static func secondsText(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.3f", seconds)
    }
}
