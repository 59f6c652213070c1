import AirlockCore
import AirlockStore
import CEL
import Crypto
import Foundation

/// What a submission produced.
public struct Submission: Sendable {
    /// The mutation as recorded.
    public var view: MutationView
    /// True when an earlier submission with the same idempotency key and body was returned.
    public var replayed: Bool
}

extension Gateway {
    /// Runs the pipeline on a proposed mutation and records the decision durably.
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
        guard principal.has(.submitter) else {
            throw .forbidden("'\(principal.id)' does not have the submitter role, which submitting mutations needs")
        }
        let body = Self.withoutActor(body)
        let document = CanonicalJSON.encode(body)
        // Only an idempotency key needs the request's hash (to tell a retry from a conflict).
        let requestHash = idempotencyKey == nil ? "" : Self.sha256(document)
        if let idempotencyKey {
            if let replay = try await replay(idempotencyKey, requestHash: requestHash, principal: principal) {
                return replay
            }
        }
        let now = clock.now()
        let id = Self.newID(prefix: "mut_", at: now)
        let actor = actors[principal.id] ?? Self.actor(of: principal)
        let idempotency = idempotencyKey.map { IdempotencyKey(scope: principal.id, key: $0, requestHash: requestHash) }
        let newMutation = NewMutation(
            id: id, resource: Self.string(body, "resource") ?? "", operation: Self.string(body, "operation") ?? "",
            actorID: principal.id, document: document, idempotency: idempotency)

        let engine = try policyEngine()
        let outcome: Result<(Mutation, Decision), ValidationFailure>
        switch Self.parse(body, engine: engine) {
        case .failure(let failure):
            outcome = .failure(failure)
        case .success(var mutation):
            try await readCurrentValues(into: &mutation)
            mutation.idempotencyKey = idempotencyKey
            let systemNow = system
            let time = Self.timestamp(now)
            outcome = Result { () throws(ValidationFailure) -> (Mutation, Decision) in
                let decided = try engine.decide(mutation: mutation, actor: actor, system: systemNow, now: time) { valid in
                    signals(for: valid, actor: actor, pack: engine.pack, at: time)
                }
                return (mutation, decided.decision)
            }
        }

        var change = StoreChange(at: now)
        change.createMutation(
            newMutation,
            audit: AuditEntry(kind: .submitted, actor: principal.id, payload: document, policyVersion: engine.pack.version))
        var view: MutationView
        var executing = false  // approved and moved on to executing in the same commit
        switch outcome {
        case .failure(let failure):
            let errors = failure.issues.map { (path: $0.path, message: $0.message) }
            let payload = CanonicalJSON.encode(
                .map(CELMap([
                    (.string("errors"),
                     .list(errors.map { .map(CELMap([(.string("path"), .string($0.path)), (.string("message"), .string($0.message))])) }))
                ])))
            change.transition(
                id, from: .received, to: .rejected,
                setting: MutationUpdate(policyVersion: engine.pack.version, decision: payload),
                audit: AuditEntry(kind: .rejected, actor: "airlock", payload: payload, policyVersion: engine.pack.version))
            view = MutationView(
                id: id, status: .rejected, tier: nil, score: nil, reasons: [], approvals: nil,
                policyVersion: engine.pack.version, actor: principal.id, resource: newMutation.resource,
                operation: newMutation.operation, target: Self.string(body, "target"), targets: nil,
                changes: Self.changes(body), dataClasses: [], errors: errors, createdAt: now, updatedAt: now)
            try await commit(change, id: id, idempotencyKey: idempotencyKey, requestHash: requestHash, principal: principal)
            throw Self.invalidMutation(view)
        case .success(let (mutation, decision)):
            let route = Route.of(decision)
            let decisionJSON = CanonicalJSON.encode(Self.decisionDocument(decision, before: mutation.before))
            change.transition(
                id, from: .received, to: route.status,
                setting: MutationUpdate(tier: route.effectiveTier.rawValue, policyVersion: decision.policyVersion, decision: decisionJSON),
                audit: AuditEntry(kind: .decided, actor: "policy", payload: decisionJSON, policyVersion: decision.policyVersion))
            var approvals: MutationView.Approvals?
            if let mode = route.reviewMode {
                let requirement = Self.requirement(decision, route: route, pack: engine.pack)
                let deadline = requirement.slaSeconds.map { now.addingTimeInterval(TimeInterval($0)) }
                let review = NewReview(
                    id: Self.newID(prefix: "rev_", at: now), mutationID: id, mode: mode, groups: requirement.groups,
                    rejectAfter: 1, deadline: deadline)
                change.openReview(
                    review,
                    audit: AuditEntry(
                        kind: .reviewOpened, actor: "policy",
                        payload: CanonicalJSON.encode(
                            .map(CELMap([
                                (.string("mode"), .string(mode.rawValue)), (.string("approvals"), requirement.jsonValue),
                            ]))), policyVersion: decision.policyVersion))
                approvals = MutationView.Approvals(
                    required: requirement.groups.reduce(0) { $0 + $1.count }, pool: requirement.groups.first?.pool ?? "",
                    groups: requirement.groups.map { ($0.pool, $0.count) }, mode: mode.rawValue, state: "open",
                    deadline: deadline, received: [], rejections: [])
            }
            if route.status == .approved, let blob = recordSignal(mutation, actor: actor, pack: engine.pack, at: now) {
                change.saveSignalState(blob, forKey: Self.signalStateKey)
            }
            executing = route.status == .approved
                && beginExecution(&change, id, mutation, policyVersion: decision.policyVersion)
            if route.status == .rejected {
                change.appendAudit(
                    AuditEntry(
                        kind: .rejected, actor: "policy", payload: decisionJSON, policyVersion: decision.policyVersion,
                        mutationID: id))
            }
            view = MutationView(
                id: id, status: executing ? .executing : route.status, tier: route.effectiveTier.rawValue, score: decision.score,
                reasons: decision.reasons.filter { !$0.failed }.map { ($0.rule, $0.message) }, approvals: approvals,
                policyVersion: decision.policyVersion, actor: principal.id, resource: mutation.resource,
                operation: mutation.operation.rawValue, target: mutation.target, targets: mutation.targets,
                changes: .map(mutation.changes), dataClasses: decision.dataClasses, errors: [], createdAt: now,
                updatedAt: now)
            if let replayed = try await commit(
                change, id: id, idempotencyKey: idempotencyKey, requestHash: requestHash, principal: principal)
            {
                return replayed
            }
        }
        notifier.announce(id)
        if executing, case .success(let (mutation, _)) = outcome {
            await apply(id, mutation, policyVersion: view.policyVersion)
            if let updated = try await self.view(of: id) { view = updated }
        }
        return Submission(view: view, replayed: false)
    }

    /// The mutation of a submission, or every problem found in it: its structural problems and,
    /// when the resource and operation can be read, what the schema finds in the rest (except
    /// about the parts already reported), so that one 422 lists them all.
    static func parse(_ body: Value, engine: PolicyEngine) -> Result<Mutation, ValidationFailure> {
        let read = Mutation.read(jsonValue: body)
        guard let mutation = read.mutation, read.issues.isEmpty else {
            guard let partial = read.mutation else { return .failure(ValidationFailure(issues: read.issues)) }
            var issues = read.issues
            do throws(ValidationFailure) {
                _ = try engine.validate(partial)
            } catch {
                let reported = Set(read.issues.map { Self.topLevelKey(of: $0.path) })
                issues += error.issues.filter { !reported.contains(Self.topLevelKey(of: $0.path)) }
            }
            return .failure(ValidationFailure(issues: issues))
        }
        return .success(mutation)
    }

    /// `changes` of `changes.amount`, `targets` of `targets[2]`.
    private static func topLevelKey(of path: String) -> Substring {
        path.prefix { $0 != "." && $0 != "[" }
    }

    /// Replaces the caller's `before` with the target's current values when its executor can
    /// read them: an agent cannot understate what it changes. A caller's `before` that disagrees
    /// with the real values is a conflict.
    func readCurrentValues(into mutation: inout Mutation) async throws(GatewayError) {
        guard mutation.operation != .create, let target = mutation.target, executors.isConfigured(mutation.resource)
        else { return }
        let executor = executors.executor(for: mutation.resource)
        guard executor.canRead, let current = await executor.read(target: target) else { return }
        if let claimed = mutation.before {
            var disagreements: [(path: String, message: String)] = []
            for (key, value) in claimed.entries {
                guard case .string(let field) = key, let actual = current[field] else { continue }
                if !ValueMatching.equal(value, actual) {
                    disagreements.append(("before.\(field)", "is \(actual.jsonString()) in \(mutation.resource) \(target), not \(value.jsonString())"))
                }
            }
            if !disagreements.isEmpty {
                throw GatewayError(
                    .conflict, title: "Stale before",
                    detail: "the before values sent do not match \(target)'s current values; read it again and resubmit",
                    errors: disagreements)
            }
        }
        mutation.before = current
    }

    /// The decision as recorded: its JSON form plus the `before` values it saw (read from the
    /// target at triage), which execution later holds as preconditions.
    static func decisionDocument(_ decision: Decision, before: CELMap?) -> Value {
        guard case .map(var map) = decision.jsonValue else { return decision.jsonValue }
        map["mutation_before"] = before.map(Value.map) ?? .null
        return .map(map)
    }

    /// A stored mutation as the decision saw it: the submitted document with the `before`
    /// values recorded in its decision.
    static func decidedMutation(of record: MutationRecord) -> Mutation? {
        guard let document = try? Value(json: record.document), var mutation = try? Mutation(jsonValue: document) else {
            return nil
        }
        if let text = record.decision, case .map(let decision)? = try? Value(json: text),
            case .map(let before)? = decision["mutation_before"]
        {
            mutation.before = before
        }
        return mutation
    }

    /// Applies a submission's change; when a concurrent request won the idempotency key, returns
    /// its answer instead.
    @discardableResult
    private func commit(
        _ change: StoreChange, id: String, idempotencyKey: String?, requestHash: String, principal: Principal
    ) async throws(GatewayError) -> Submission? {
        do {
            _ = try await store.apply(change)
            return nil
        } catch let error as StoreError where error.code == .idempotencyConflict || error.code == .alreadyExists {
            if let idempotencyKey,
                let replay = try await replay(idempotencyKey, requestHash: requestHash, principal: principal)
            {
                return replay
            }
            throw .conflict(error.message)
        } catch {
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

    /// The approvals a review needs: the decision's, or — for a medium-tier mutation treated as
    /// high because it is irreversible — the high tier's settings.
    static func requirement(_ decision: Decision, route: Route, pack: PolicyPack) -> ApprovalRequirement {
        if route.effectiveTier == .high, decision.tier != .high, let high = pack.tiers.settings(for: .high),
            let pool = high.pool
        {
            var groups = decision.approvals?.groups ?? []
            if let i = groups.firstIndex(where: { $0.pool == pool }) {
                groups[i].count = max(groups[i].count, high.count)
            } else {
                groups.append(ApprovalGroup(pool: pool, count: high.count))
            }
            return ApprovalRequirement(
                groups: groups, slaSeconds: high.slaSeconds, escalateTo: high.escalateTo, onTimeout: high.onTimeout)
        }
        if let approvals = decision.approvals, !approvals.groups.isEmpty { return approvals }
        let settings = pack.tiers.settings(for: route.effectiveTier)
        return ApprovalRequirement(
            groups: [ApprovalGroup(pool: settings?.pool ?? "reviewers", count: max(1, settings?.count ?? 1))],
            slaSeconds: settings?.slaSeconds, escalateTo: settings?.escalateTo, onTimeout: settings?.onTimeout ?? .reject)
    }

    // MARK: Helpers

    static func actor(of principal: Principal) -> Actor {
        var attributes = CELMap()
        for (key, value) in principal.attributes.sorted(by: { $0.key < $1.key }) { attributes[key] = .string(value) }
        return Actor(id: principal.id, kind: principal.kind, roles: principal.roles.map(\.rawValue).sorted(), attributes: attributes)
    }

    /// The body without an `actor` key: the actor is always the authenticated principal.
    static func withoutActor(_ body: Value) -> Value {
        guard case .map(var map) = body, map["actor"] != nil else { return body }
        map["actor"] = nil
        return .map(map)
    }

    static func string(_ body: Value, _ key: String) -> String? {
        guard case .map(let map) = body, case .string(let s)? = map[key] else { return nil }
        return s
    }

    static func changes(_ body: Value) -> Value {
        guard case .map(let map) = body, let changes = map["changes"] else { return .map(CELMap()) }
        return changes
    }

    static func sha256(_ text: String) -> String {
        Hex.encode(Crypto.SHA256.hash(data: Array(text.utf8)))
    }
}
