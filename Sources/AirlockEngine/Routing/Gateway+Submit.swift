import AirlockCore
import AirlockStore
import CEL
import Crypto
import Foundation
import Logging

/// What a submission produced.
public struct Submission: Sendable {
    /// The mutation as recorded.
    public var view: MutationView
    /// True when an earlier submission with the same idempotency key and body was returned.
    public var replayed: Bool
}

extension Gateway {
    /// A submission as received: who, what, when, under which idempotency key.
    struct Received: Sendable {
        var id: String
        var body: Value
        var document: String
        var principal: Principal
        var actor: Actor
        var idempotencyKey: String?
        var requestHash: String
        /// The hash of ``document``: what a vote names as seen (computed once, for the record and the view).
        var contentHash: String
        var now: Date
        /// The mutation this submission revises, superseded in the same commit.
        var supersedes: Supersession?

        var newMutation: NewMutation {
            NewMutation(
                id: id, resource: Gateway.string(body, "resource") ?? "", operation: Gateway.string(body, "operation") ?? "",
                actorID: principal.id, document: document,
                idempotency: idempotencyKey.map { IdempotencyKey(scope: principal.id, key: $0, requestHash: requestHash) },
                revisionOf: supersedes?.snapshot.record.id, revisedBy: supersedes?.context.actor, contentHash: contentHash)
        }
    }

    /// The old mutation a revision replaces: its snapshot, the lifecycle's step that supersedes
    /// it, and who asked why.
    struct Supersession: Sendable {
        var snapshot: MutationSnapshot
        var step: LifecycleStep
        var context: EventContext
    }

    /// Runs the pipeline on a proposed mutation and records the decision durably: triage, signals
    /// and policy, then routing (the lifecycle's `decided` step), committed with the mutation in
    /// one transaction; then execution, when the route says so.
    ///
    /// - Parameters:
    ///   - body: the mutation document (`{resource, operation, target?, targets?, changes,
    ///     before?, context?}`); any actor it names is ignored: the actor is `principal`.
    ///   - idempotencyKey: with the same key and the same body, the first answer is returned;
    ///     with a different body, a conflict.
    /// - Throws: ``GatewayError`` — `.invalidMutation` (recorded as rejected; its view is in
    ///   the error), `.forbidden`, `.conflict`, `.unavailable`.
    public func submit(_ body: Value, by principal: Principal, idempotencyKey: String? = nil) async throws(GatewayError)
        -> Submission
    {
        try await submit(body, by: principal, idempotencyKey: idempotencyKey, superseding: nil)
    }

    /// ``submit(_:by:idempotencyKey:)``, for a revision also superseding the mutation it revises
    /// in the same commit: a revision that does not validate is refused (422) and records nothing.
    func submit(_ body: Value, by principal: Principal, idempotencyKey: String?, superseding: Supersession?)
        async throws(GatewayError) -> Submission
    {
        let started = DispatchTime.now().uptimeNanoseconds
        var received = try receive(body, by: principal, idempotencyKey: idempotencyKey)
        received.supersedes = superseding
        if let idempotencyKey, let replay = try await replay(idempotencyKey, requestHash: received.requestHash, principal: principal) {
            return replay
        }
        let engine = try policyEngine()
        // Every submission counts in its actor's rate (a burst of refused attempts is itself a
        // signal), after its own decision: a decision sees the attempts before it.
        let triaged = try await triage(received.body, engine: engine)
        let decided = triaged.flatMap { mutation in
            decide(mutation, actor: received.actor, engine: engine, at: received.now).map { (mutation, $0) }
        }
        countSubmission(of: received.actor, at: received.now)
        switch decided {
        case .failure(let failure) where superseding != nil:
            throw GatewayError(
                .invalidMutation, title: "Invalid revision", detail: "the requested changes do not validate; nothing was changed",
                errors: failure.issues.map { (path: $0.path, message: $0.message) })
        case .failure(let failure):
            let error = try await recordInvalid(received, failure, engine: engine)
            let resource = received.body.memberString("resource") ?? ""
            metrics.decided(
                tier: "invalid", resource: resource, known: engine.pack.resources[resource] != nil,
                nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - started))
            throw error
        case .success(let (mutation, (decision, system))):
            let submission = try await route(
                received, mutation, decision, system: system,
                microseconds: Int((DispatchTime.now().uptimeNanoseconds - started) / 1000))
            metrics.decided(
                tier: decision.routedTier.rawValue, resource: mutation.resource, known: true,
                nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - started))
            return submission
        }
    }

    /// Checks who submits and stamps the submission with an id and the time.
    private func receive(_ body: Value, by principal: Principal, idempotencyKey: String?) throws(GatewayError) -> Received {
        guard principal.has(.submitter) else {
            throw .forbidden("'\(principal.id)' does not have the submitter role, which submitting mutations needs")
        }
        let body = Self.withoutActor(body)
        let document = CanonicalJSON.encode(body)
        let now = clock.now()
        return Received(
            id: Self.newID(prefix: "mut_", at: now), body: body, document: document, principal: principal,
            actor: actors[principal.id] ?? Self.actor(of: principal), idempotencyKey: idempotencyKey,
            // Only an idempotency key needs the request's hash (to tell a retry from a conflict).
            requestHash: idempotencyKey == nil ? "" : Self.sha256(document),
            contentHash: MutationRecord.contentHash(ofDocument: document), now: now)
    }

    /// Signals and policy: the decision on a mutation, or what its schema finds wrong with it.
    /// Returns the system state the rules saw with the decision: it is one of the inputs the
    /// `decided` record keeps.
    private func decide(_ mutation: Mutation, actor: Actor, engine: PolicyEngine, at now: Date)
        -> Result<(Decision, SystemState), ValidationFailure>
    {
        let systemNow = system(at: now)
        let time = Self.timestamp(now)
        do throws(ValidationFailure) {
            let decision = try engine.decide(mutation: mutation, actor: actor, system: systemNow, now: time) { valid in
                signals(for: valid, actor: actor, pack: engine.pack, at: time)
            }.decision
            return .success((decision, systemNow))
        } catch {
            return .failure(error)
        }
    }

    /// Routing and decision capture: the lifecycle's `decided` step, committed with the mutation,
    /// then carried out (execution for an approved mutation Airlock applies).
    private func route(
        _ received: Received, _ mutation: Mutation, _ decision: Decision, system: SystemState, microseconds: Int
    ) async throws(GatewayError) -> Submission
    {
        let state = LifecycleState(
            status: .received, submitter: received.principal.id,
            executor: executesItself(mutation.resource) ? .airlock : .caller, reversible: decision.reversible)
        let step: LifecycleStep
        do {
            step = try Lifecycle.handle(
                .decided(tier: decision.routedTier, approvals: decision.requirement, at: Self.timestamp(received.now)), in: state)
        } catch {
            throw Self.refused(error, id: received.id)
        }
        let decisionJSON = CanonicalJSON.encode(
            DecisionInputs(actor: received.actor, system: system, before: mutation.before, decisionMicroseconds: microseconds)
                .recorded(with: decision))
        var context = EventContext(
            actor: "policy", resource: mutation.resource, policyVersion: decision.policyVersion, decision: decisionJSON)
        context.tier = decision.routedTier.rawValue
        context.operation = mutation.operation.rawValue
        context.beforeValues = mutation.before.map { CanonicalJSON.encode(.map($0)) }
        var change = StoreChange(at: received.now)
        change.createMutation(
            received.newMutation,
            audit: AuditEntry(kind: .submitted, actor: received.principal.id, payload: received.document, policyVersion: decision.policyVersion))
        // A review id (random bits, formatted) only for a step that opens a review: not on the low-tier hot path.
        let opensReview = step.effects.contains { if case .openReview = $0 { true } else { false } }
        let reviewID = opensReview ? Self.newID(prefix: "rev_", at: received.now) : ""
        StepRecorder(
            mutationID: received.id, snapshot: nil, context: context, now: received.now, newReviewID: reviewID,
            notifications: notifications
        ).record(step, into: &change)
        if let old = received.supersedes {
            var oldContext = old.context
            oldContext.revision = (received.id, oldContext.revision?.diff ?? .null)
            StepRecorder(
                mutationID: old.snapshot.record.id, snapshot: old.snapshot, context: oldContext, now: received.now,
                newReviewID: "", notifications: notifications
            ).record(old.step, into: &change)
        }
        if let result = shadowResult(
            id: received.id, mutation: mutation, decision: decision, actor: received.actor, system: system, at: received.now)
        {
            change.recordShadowResult(result)
        }
        if let replayed = try await commit(change, received) { return replayed }
        countDistribution(resource: mutation.resource, decision: decision, at: received.now)
        if logger.logLevel <= .debug {
            logger.debug(
                "decided",
                metadata: [
                    "mutation": "\(received.id)", "resource": "\(mutation.resource)", "tier": "\(decision.routedTier.rawValue)",
                    "actor": "\(received.principal.id)", "policy_version": "\(decision.policyVersion)",
                ])
        }
        if let old = received.supersedes {
            await carryOut(old.step, of: old.snapshot.record.id, mutation: nil, context: old.context)
        }
        let record = MutationRecord(
            id: received.id, status: step.state.status, tier: context.tier, resource: mutation.resource,
            operation: mutation.operation.rawValue, actorID: received.principal.id, policyVersion: decision.policyVersion,
            document: received.document, decision: decisionJSON,
            contentHash: received.contentHash, idempotencyKey: received.idempotencyKey,
            requestHash: nil, createdAt: received.now, updatedAt: received.now, revision: step.moves.count,
            beforeValues: context.beforeValues, revisionOf: received.supersedes?.snapshot.record.id,
            revisedBy: received.supersedes?.context.actor)
        let review = step.effects.lazy.compactMap { effect -> ReviewRecord? in
            guard case .openReview(let mode, let requirement) = effect else { return nil }
            return ReviewRecord(
                id: reviewID, mutationID: received.id, mode: mode, status: .open, groups: requirement.groups,
                rejectAfter: max(1, requirement.rejectAfter),
                deadline: step.state.review?.deadline.map(Self.date), escalations: 0,
                openedAt: received.now, closedAt: nil)
        }.first
        // Without a review, nothing but the execution can move the mutation now: its answer is
        // handled from what this commit wrote, not from a fresh read (a review could change
        // meanwhile without moving the status, which the store's check would not see).
        if review == nil {
            context.known = MutationSnapshot(record: record, review: nil, votes: [], decision: nil, state: step.state)
        }
        await carryOut(step, of: received.id, mutation: mutation, context: context)
        if step.executes, let executed = try await view(of: received.id) {
            return Submission(view: executed, replayed: false)
        }
        return Submission(
            view: MutationView(record: record, decision: DecisionSummary(decision), review: review, votes: [], document: received.body),
            replayed: false)
    }

    /// An invalid submission is recorded as rejected, with every problem found; the error to
    /// answer with carries its view.
    private func recordInvalid(_ received: Received, _ failure: ValidationFailure, engine: PolicyEngine)
        async throws(GatewayError) -> GatewayError
    {
        let problems = failure.issues.map { (path: $0.path, message: $0.message) }
        let problemsJSON = CanonicalJSON.encode(
            .map(CELMap([
                (.string("errors"),
                 .list(problems.map { .map(CELMap([(.string("path"), .string($0.path)), (.string("message"), .string($0.message))])) }))
            ])))
        let step: LifecycleStep
        do {
            step = try Lifecycle.handle(
                .invalid, in: LifecycleState(status: .received, submitter: received.principal.id, executor: .caller, reversible: true))
        } catch {
            throw Self.refused(error, id: received.id)
        }
        let version = engine.pack.version
        var change = StoreChange(at: received.now)
        change.createMutation(
            received.newMutation,
            audit: AuditEntry(kind: .submitted, actor: received.principal.id, payload: received.document, policyVersion: version))
        var context = EventContext(actor: "airlock", policyVersion: version, problems: problemsJSON)
        context.resource = received.newMutation.resource
        context.operation = received.newMutation.operation.isEmpty ? nil : received.newMutation.operation
        StepRecorder(
            mutationID: received.id, snapshot: nil, context: context, now: received.now, newReviewID: "",
            notifications: notifications
        ).record(step, into: &change)
        if let replayed = try await commit(change, received) { return Self.invalidMutation(replayed.view) }
        notifier.announce(received.id)
        let record = MutationRecord(
            id: received.id, status: .rejected, tier: nil, resource: received.newMutation.resource,
            operation: received.newMutation.operation, actorID: received.principal.id, policyVersion: version,
            document: received.document, decision: problemsJSON,
            contentHash: received.contentHash, idempotencyKey: received.idempotencyKey,
            requestHash: nil, createdAt: received.now, updatedAt: received.now, revision: 1)
        return Self.invalidMutation(
            MutationView(record: record, decision: DecisionSummary(problems: problems), review: nil, votes: [], document: received.body))
    }

    /// Applies a submission's change; when a concurrent request won the idempotency key, returns
    /// its answer instead.
    private func commit(_ change: StoreChange, _ received: Received) async throws(GatewayError) -> Submission? {
        do {
            _ = try await apply(change)
            return nil
        } catch let error as StoreError where received.supersedes != nil && error.isRace {
            let old = received.supersedes?.snapshot.record.id ?? ""
            throw .conflict("mutation \(old) changed while its revision was submitted (\(error.message)); look again")
        } catch let error as StoreError where error.code == .idempotencyConflict || error.code == .alreadyExists {
            if let key = received.idempotencyKey,
                let replay = try await replay(key, requestHash: received.requestHash, principal: received.principal)
            {
                return replay
            }
            throw .conflict(error.message)
        } catch {
            logger.error("recording a submission failed", metadata: ["mutation": "\(received.id)", "error": "\(error)"])
            throw .unavailable(error)
        }
    }

    private func replay(_ key: String, requestHash: String, principal: Principal) async throws(GatewayError)
        -> Submission?
    {
        let record: IdempotencyRecord?
        do {
            record = try await store.idempotencyRecord(scope: principal.id, key: key)
        } catch {
            throw .unavailable(error)
        }
        guard let record else { return nil }
        guard record.key.requestHash == requestHash else {
            throw .conflict(
                "Idempotency-Key '\(key)' was already used with a different request body (mutation \(record.mutationID ?? "unknown"))")
        }
        guard let mutationID = record.mutationID, let view = try await view(of: mutationID) else {
            throw .conflict("Idempotency-Key '\(key)' is in use by a request still in progress")
        }
        // The first answer to an invalid mutation was its errors; a retry gets them again.
        if view.status == .rejected, view.tier == nil, !view.errors.isEmpty { throw Self.invalidMutation(view) }
        return Submission(view: view, replayed: true)
    }

    /// The refusal of a mutation that does not validate, recorded as rejected: its errors and view.
    static func invalidMutation(_ view: MutationView) -> GatewayError {
        let count = view.errors.count
        return GatewayError(
            .invalidMutation, title: "Invalid mutation",
            detail: "the mutation does not conform to its resource's schema (\(count) problem\(count == 1 ? "" : "s")); it was recorded as rejected",
            errors: view.errors, mutation: view)
    }

    static func actor(of principal: Principal) -> Actor {
        var attributes = CELMap()
        for (key, value) in principal.attributes.sorted(by: { $0.key < $1.key }) { attributes[key] = .string(value) }
        return Actor(id: principal.id, kind: principal.kind, roles: principal.roles.map(\.rawValue).sorted(), attributes: attributes)
    }

    static func sha256(_ text: String) -> String {
        Hex.encode(Crypto.SHA256.hash(data: Array(text.utf8)))
    }
}

extension Value {
    /// A string field of a map value.
    fileprivate func memberString(_ name: String) -> String? {
        guard case .map(let map) = self, case .string(let text)? = map[name] else { return nil }
        return text
    }
}
