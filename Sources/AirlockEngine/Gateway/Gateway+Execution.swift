import AirlockCore
import AirlockStore
import CEL
import Foundation

extension Gateway {
    /// Whether an approved mutation of this resource is applied by Airlock (an executor other
    /// than `none`); otherwise it stays `approved` and the caller executes it.
    func executesItself(_ resource: String) -> Bool {
        executors.isConfigured(resource) && !(executors.executor(for: resource) is NoneExecutor)
    }

    /// Adds to the change that approves a mutation its move on to `executing`, when Airlock
    /// applies it: in the same commit, so that no crash can leave it `approved` with nobody to
    /// execute it (start-up reconciliation takes up `executing` ones). True when added; then
    /// ``apply(_:_:policyVersion:)`` must follow the commit.
    func beginExecution(_ change: inout StoreChange, _ id: String, _ mutation: Mutation, policyVersion: String?) -> Bool {
        guard executesItself(mutation.resource) else { return false }
        change.transition(
            id, from: .approved, to: .executing,
            audit: AuditEntry(
                kind: .executing, actor: "airlock",
                payload: CanonicalJSON.encode(.map(CELMap([(.string("resource"), .string(mutation.resource))]))),
                policyVersion: policyVersion))
        return true
    }

    /// Calls the executor for a mutation that is `executing` (write-ahead: that status is durable
    /// before the executor is called, so a crash is reconciled on restart and never repeated
    /// blindly) and records the outcome. Verification follows; a mismatch rolls the change back and
    /// raises a `verification_failed` alarm.
    func apply(_ id: String, _ mutation: Mutation, policyVersion: String?) async {
        let executor = executors.executor(for: mutation.resource)
        let request = ExecutionRequest(mutationID: id, mutation: mutation)
        switch await executor.apply(request) {
        case .executed(let executed):
            await recordExecuted(id, executed, request: request, policyVersion: policyVersion, reconciled: false)
        case .conflict(let reason):
            await recordFailed(id, reason: "precondition failed: \(reason)", policyVersion: policyVersion)
        case .failed(let reason, let retryable):
            if retryable {
                switch await executor.reconcile(request) {
                case .applied(let executed):
                    await recordExecuted(id, executed, request: request, policyVersion: policyVersion, reconciled: true)
                case .notApplied:
                    await recordFailed(id, reason: reason, policyVersion: policyVersion)
                case .unknown:
                    break  // stays executing; reconciled at the next start
                }
            } else {
                await recordFailed(id, reason: reason, policyVersion: policyVersion)
            }
        case .deferredToCaller:
            break
        }
        notifier.announce(id)
    }

    private func recordExecuted(
        _ id: String, _ executed: ExecutedChange, request: ExecutionRequest, policyVersion: String?, reconciled: Bool
    ) async {
        let executor = executors.executor(for: request.resource)
        let verification = await executor.verify(request, change: executed)
        var payload = CELMap()
        payload["change"] = executed.jsonValue
        payload["reconciled"] = .bool(reconciled)
        switch verification {
        case .matches: payload["verification"] = .string("matches")
        case .mismatch(let what): payload["verification"] = .string("mismatch: \(what)")
        case .unverifiable(let why): payload["verification"] = .string("unverifiable: \(why)")
        }
        var change = StoreChange(at: clock.now())
        change.transition(
            id, from: .executing, to: .executed,
            audit: AuditEntry(
                kind: .executed, actor: "airlock", payload: CanonicalJSON.encode(.map(payload)), policyVersion: policyVersion))
        guard (try? await store.apply(change)) != nil else { return }
        // A parallel review rejected while the change was being applied found it `executing` and
        // could not roll it back; it is rolled back now. (Had the rejection seen it `executed`,
        // it rolled it back itself, and this attempt is refused harmlessly.)
        var mismatched = false
        if case .mismatch = verification { mismatched = true }
        if !mismatched, let review = try? await store.reviews(mutationID: id).last, review.mode == .parallel,
            review.status == .rejected
        {
            _ = await rollBack(
                id, executed, reason: "the parallel review was rejected while it was executing", by: "airlock",
                policyVersion: policyVersion)
            return
        }
        if case .mismatch(let what) = verification {
            var alarm = StoreChange(at: clock.now())
            alarm.appendAudit(
                AuditEntry(
                    kind: Self.verificationFailed, actor: "airlock",
                    payload: CanonicalJSON.encode(.map(CELMap([(.string("mismatch"), .string(what))]))),
                    policyVersion: policyVersion, mutationID: id))
            _ = try? await store.apply(alarm)
            _ = await rollBack(id, executed, reason: "verification failed: \(what)", by: "airlock", policyVersion: policyVersion)
        }
    }

    private func recordFailed(_ id: String, reason: String, policyVersion: String?) async {
        var change = StoreChange(at: clock.now())
        change.transition(
            id, from: .executing, to: .failed,
            audit: AuditEntry(
                kind: .failed, actor: "airlock",
                payload: CanonicalJSON.encode(.map(CELMap([(.string("reason"), .string(reason))]))),
                policyVersion: policyVersion))
        _ = try? await store.apply(change)
    }

    /// The audit kind of the alarm raised when an executed change does not read back as requested.
    public static let verificationFailed: AuditKind = "verification_failed"
    /// The audit kind of the alarm raised when a rollback is refused (the target changed since).
    public static let rollbackRefused: AuditKind = "rollback_refused"

    /// `executed → rolling_back → rolled_back`, restoring the before-image. A refusal (the target
    /// changed since) raises a `rollback_refused` alarm and leaves the change in place.
    func rollBack(_ id: String, _ executed: ExecutedChange, reason: String, by who: String, policyVersion: String?) async
        -> RollbackOutcome
    {
        let reasonPayload = CanonicalJSON.encode(.map(CELMap([(.string("reason"), .string(reason))])))
        var start = StoreChange(at: clock.now())
        start.transition(
            id, from: .executed, to: .rollingBack,
            audit: AuditEntry(kind: .rollingBack, actor: who, payload: reasonPayload, policyVersion: policyVersion))
        do {
            _ = try await store.apply(start)
        } catch {
            return .refused("mutation \(id) is not executed: \(error)")
        }
        notifier.announce(id)
        return await finishRollBack(id, executed, reasonPayload: reasonPayload, by: who, policyVersion: policyVersion)
    }

    /// Calls the executor for a mutation that is `rolling_back` and records the outcome.
    private func finishRollBack(
        _ id: String, _ executed: ExecutedChange, reasonPayload: String, by who: String, policyVersion: String?
    ) async -> RollbackOutcome {
        let outcome = await executors.executor(for: executed.resource).rollback(executed, attempt: 1)
        var finish = StoreChange(at: clock.now())
        switch outcome {
        case .rolledBack:
            finish.transition(
                id, from: .rollingBack, to: .rolledBack,
                audit: AuditEntry(kind: .rolledBack, actor: who, payload: reasonPayload, policyVersion: policyVersion))
        case .refused(let why):
            finish.appendAudit(
                AuditEntry(
                    kind: Self.rollbackRefused, actor: who,
                    payload: CanonicalJSON.encode(.map(CELMap([(.string("reason"), .string(why))]))),
                    policyVersion: policyVersion, mutationID: id))
            finish.transition(
                id, from: .rollingBack, to: .executed,
                audit: AuditEntry(
                    kind: .executed, actor: who,
                    payload: CanonicalJSON.encode(
                        .map(CELMap([(.string("change"), executed.jsonValue), (.string("rollback_refused"), .string(why))]))),
                    policyVersion: policyVersion))
        case .failed(let why):
            finish.transition(
                id, from: .rollingBack, to: .failed,
                audit: AuditEntry(
                    kind: .failed, actor: who,
                    payload: CanonicalJSON.encode(.map(CELMap([(.string("reason"), .string("rollback failed: \(why)"))]))),
                    policyVersion: policyVersion))
        }
        _ = try? await store.apply(finish)
        notifier.announce(id)
        return outcome
    }

    /// The change an executed mutation applied, from its latest `executed` audit record.
    func executedChange(of id: String) async throws -> ExecutedChange? {
        for record in try await store.auditRecords(mutationID: id).reversed() where record.kind == .executed {
            if case .map(let payload) = try Value(json: record.payload), let change = payload["change"] {
                return ExecutedChange(jsonValue: change)
            }
        }
        return nil
    }

    /// Rolls back an executed mutation on request (admins, or reviewers of its pools), with a note.
    public func rollback(_ id: String, note: String, by principal: Principal) async throws(GatewayError) -> MutationView {
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw GatewayError(
                .badRequest, title: "Note required", detail: "a rollback needs a note saying why", errors: [("note", "required")])
        }
        let view = try await view(of: id, for: principal)
        let pools = Set(view.approvals?.groups.map(\.pool) ?? [])
        guard principal.has(.admin) || (principal.has(.reviewer) && !pools.isDisjoint(with: principal.pools)) else {
            throw .forbidden("'\(principal.id)' may not roll back mutation \(id): admins and reviewers of its pools may")
        }
        guard view.status == .executed else {
            throw .conflict("mutation \(id) is \(view.status.rawValue); only an executed mutation can be rolled back")
        }
        let executed: ExecutedChange?
        do { executed = try await executedChange(of: id) } catch { throw .unavailable(error) }
        guard let executed else {
            throw .conflict("mutation \(id) was executed by its caller; Airlock has no record of the change to undo")
        }
        let outcome = await rollBack(id, executed, reason: note, by: principal.id, policyVersion: view.policyVersion)
        if case .refused(let why) = outcome {
            throw .conflict("the rollback of \(id) was refused: \(why)")
        }
        guard let updated = try await self.view(of: id) else { throw .notFound("no mutation with id '\(id)'") }
        return updated
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
        if executesItself(view.resource) {
            throw .conflict("\(view.resource) is executed by Airlock; its outcome is not reported by the caller")
        }
        guard view.status == .approved else {
            throw .conflict("mutation \(id) is \(view.status.rawValue); an outcome is reported for an approved mutation")
        }
        let payload = CanonicalJSON.encode(
            .map(CELMap([(.string("reported_by"), .string(principal.id)), (.string("detail"), detail.map(Value.string) ?? .null)])))
        var change = StoreChange(at: clock.now())
        change.transition(
            id, from: .approved, to: .executing,
            audit: AuditEntry(kind: .executing, actor: principal.id, payload: payload, policyVersion: view.policyVersion))
        change.transition(
            id, from: .executing, to: executed ? .executed : .failed,
            audit: AuditEntry(kind: executed ? .executed : .failed, actor: principal.id, payload: payload, policyVersion: view.policyVersion))
        do {
            _ = try await store.apply(change)
        } catch {
            throw .conflict("mutation \(id) changed meanwhile: \(error)")
        }
        notifier.announce(id)
        guard let updated = try await self.view(of: id) else { throw .notFound("no mutation with id '\(id)'") }
        return updated
    }

    /// Settles every mutation a crash left `executing` — applied ones become executed, ones not
    /// applied are applied now, and ones the executor cannot judge yet stay as they are — and
    /// finishes every rollback it left `rolling_back` (a rollback checks the record first, so one
    /// already done is recognised, not repeated).
    public func reconcile() async throws {
        for record in try await store.mutations(MutationQuery(statuses: [.rollingBack], limit: 10_000)) {
            guard let executed = try await executedChange(of: record.id) else { continue }
            let reason = CanonicalJSON.encode(.map(CELMap([(.string("reason"), .string("resumed after a restart"))])))
            _ = await finishRollBack(record.id, executed, reasonPayload: reason, by: "airlock", policyVersion: record.policyVersion)
        }
        let stuck = try await store.mutations(MutationQuery(statuses: [.executing], limit: 10_000))
        for record in stuck {
            guard let mutation = Self.decidedMutation(of: record) else { continue }
            let executor = executors.executor(for: record.resource)
            let request = ExecutionRequest(mutationID: record.id, mutation: mutation)
            switch await executor.reconcile(request) {
            case .applied(let executed):
                await recordExecuted(record.id, executed, request: request, policyVersion: record.policyVersion, reconciled: true)
            case .notApplied:
                await apply(record.id, mutation, policyVersion: record.policyVersion)
            case .unknown:
                continue
            }
        }
    }
}
