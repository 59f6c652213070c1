import AirlockCore

extension Gateway {
    /// Reads an applied change back through its executor and says what the lifecycle sees: a
    /// match, a mismatch (which raises `verification_failed` and rolls back), or that it could not
    /// be read.
    func verify(_ request: ExecutionRequest, _ executed: ExecutedChange) async -> Verification {
        switch await executors.executor(for: request.resource).verify(request, change: executed) {
        case .matches: .matches
        case .mismatch(let what): .mismatch(what)
        case .unverifiable(let why): .unverifiable(why)
        }
    }
}
