import AirlockCore
import AirlockStore
import CEL
import Foundation
import Logging

extension Gateway {
    /// Whether an approved mutation of this resource is applied by Airlock (an executor other
    /// than `none`); otherwise it stays `approved` and the caller executes it.
    func executesItself(_ resource: String) -> Bool {
        executors.isConfigured(resource) && !(executors.executor(for: resource) is NoneExecutor)
    }

    /// Calls the executor for a mutation that is `executing` (write-ahead: that status is durable
    /// before the executor is called, so a crash is reconciled on restart and never repeated
    /// blindly), verifies what it did, and hands the outcome to the lifecycle.
    func execute(_ id: String, mutation known: Mutation?, context: EventContext) async {
        guard let mutation = await decidedMutation(id, known) else { return }
        let executor = executors.executor(for: mutation.resource)
        let request = ExecutionRequest(mutationID: id, mutation: mutation)
        switch await executor.apply(request) {
        case .executed(let executed):
            await finishExecution(id, request: request, executed: executed, reconciled: false, context: context)
        case .conflict(let reason):
            await follow(.executorFinished(.conflict(reason)), of: id, context: Self.airlock(context))
        case .failed(let reason, let retryable):
            guard retryable else {
                await follow(.executorFinished(.failed(reason)), of: id, context: Self.airlock(context))
                return
            }
            await settleUncertain(id, request: request, failure: reason, context: context)
        case .deferredToCaller:
            logger.error("an executing mutation's executor deferred to the caller", metadata: ["mutation": "\(id)"])
        }
    }

    /// After a retryable failure (or a crash), asks the executor whether the change happened.
    func settleUncertain(_ id: String, request: ExecutionRequest, failure: String?, context: EventContext) async {
        let executor = executors.executor(for: request.resource)
        switch await executor.reconcile(request) {
        case .applied(let executed):
            await finishExecution(id, request: request, executed: executed, reconciled: true, context: context)
        case .notApplied:
            if let failure {
                await follow(.executorFinished(.failed(failure)), of: id, context: Self.airlock(context))
            } else {
                await execute(id, mutation: nil, context: context)
            }
        case .unknown(let why):
            logger.warning(
                "the executor cannot tell yet whether the change happened; it stays executing",
                metadata: ["mutation": "\(id)", "reason": "\(why)"])
        }
    }

    /// Verifies an applied change and records it: one commit holds `executed`, the change, any
    /// alarm and the start of the rollback the lifecycle asks for.
    private func finishExecution(
        _ id: String, request: ExecutionRequest, executed: ExecutedChange, reconciled: Bool, context: EventContext
    ) async {
        let verification = await verify(request, executed)
        var context = Self.airlock(context)
        context.change = executed
        context.reconciled = reconciled
        await follow(.executorFinished(.applied(verification)), of: id, context: context)
    }

    /// Calls the executor to undo a change whose mutation is `rolling_back`, and hands the outcome
    /// to the lifecycle; returns the executor's answer.
    @discardableResult
    func undo(_ id: String, _ executed: ExecutedChange, cause: RollbackCause, attempt: Int, context: EventContext) async
        -> RollbackResult
    {
        let outcome = await executors.executor(for: executed.resource).rollback(executed, attempt: max(1, attempt))
        let result: RollbackResult =
            switch outcome {
            case .rolledBack: .rolledBack
            case .refused(let why): .refused(why)
            case .failed(let why): .failed(why)
            }
        var context = context
        context.change = executed
        await follow(.rollbackFinished(result), of: id, context: context)
        return result
    }

    /// Rolls back an executed mutation on request (admins, or reviewers of its pools), with a
    /// note. A change to an irreversible resource is refused unless an admin forces it.
    public func rollback(_ id: String, note: String, force: Bool = false, by principal: Principal) async throws(GatewayError)
        -> MutationView
    {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GatewayError(
                .badRequest, title: "Note required", detail: "a rollback needs a note saying why", errors: [("note", "required")])
        }
        let view = try await view(of: id, for: principal)
        let pools = Set(view.approvals?.groups.map(\.pool) ?? [])
        guard principal.has(.admin) || (principal.has(.reviewer) && !pools.isDisjoint(with: principal.pools)) else {
            throw .forbidden("'\(principal.id)' may not roll back mutation \(id): admins and reviewers of its pools may")
        }
        if force, !principal.has(.admin) {
            throw .forbidden("'\(principal.id)' may not force a rollback: only admins may")
        }
        let handled = try await handle(
            .rollbackRequested(force: force), of: id, context: EventContext(actor: principal.id, note: note))
        switch handled.rollback {
        case .refused(let why):
            throw .conflict("the rollback of \(id) was refused: \(why); the change stands")
        case .failed(let why):
            throw GatewayError(
                .unavailable, title: "Rollback failed",
                detail: "the rollback of \(id) failed: \(why); the change stands (alarm rollback_failed), and it may be asked again")
        case .rolledBack, nil:
            guard let updated = try await self.view(of: id) else { throw .notFound("no mutation with id '\(id)'") }
            return masked(updated, for: principal)
        }
    }

    /// Records the outcome of a mutation its caller executes (resources without an executor):
    /// `approved → executing → executed|failed`. Only its submitter or an admin may report.
    public func reportOutcome(_ id: String, executed: Bool, detail: String?, by principal: Principal) async throws(GatewayError)
        -> MutationView
    {
        let view = try await view(of: id, for: principal)
        guard view.actor == principal.id || principal.has(.admin) else {
            throw .forbidden("only the submitter of \(id) (or an admin) reports its outcome")
        }
        try await handle(.outcomeReported(executed: executed), of: id, context: EventContext(actor: principal.id, note: detail))
        guard let updated = try await self.view(of: id) else { throw .notFound("no mutation with id '\(id)'") }
        return masked(updated, for: principal)
    }

    /// The audit kind of the alarm raised when an executed change does not read back as requested.
    public static let verificationFailed = AuditKind(rawValue: Alarm.verificationFailed("").kind)
    /// The audit kind of the alarm raised when a rollback is refused (the target changed since).
    public static let rollbackRefused = AuditKind(rawValue: Alarm.rollbackRefused("").kind)
    /// The audit kind of the alarm raised when a rollback fails (the change stands).
    public static let rollbackFailed = AuditKind(rawValue: Alarm.rollbackFailed("").kind)

    /// The mutation as decided: the one at hand, or the stored one.
    func decidedMutation(_ id: String, _ known: Mutation?) async -> Mutation? {
        if let known { return known }
        do {
            guard let record = try await store.mutation(id: id), let mutation = Self.decidedMutation(of: record) else {
                logger.error("an executing mutation cannot be read back", metadata: ["mutation": "\(id)"])
                return nil
            }
            return mutation
        } catch {
            logger.error("reading an executing mutation failed", metadata: ["mutation": "\(id)", "error": "\(error)"])
            return nil
        }
    }

    /// The context of an executor's answer: Airlock's own doing.
    static func airlock(_ context: EventContext) -> EventContext {
        var context = context
        context.actor = "airlock"
        context.note = nil
        return context
    }
}
