import CEL

/// The gateway's system routes, typed.
extension APIClient {
    /// `GET /v1/system`: the freeze, the queue depth, the rollback rate and the policy in force.
    func system() async throws(ClientError) -> Answer {
        try await get("/v1/system")
    }

    /// `POST /v1/system/freeze`: freezes (`on`) or thaws the gateway (admins).
    func setFreeze(_ on: Bool, reason: String?) async throws(ClientError) -> Answer {
        var body = CELMap([(.string("on"), .bool(on))])
        if let reason { body["reason"] = .string(reason) }
        return try await post("/v1/system/freeze", json: .map(body))
    }
}
