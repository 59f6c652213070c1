import AirlockCore
import AirlockStore
import CEL
import Foundation

/// Who caused an event and what its records carry besides the lifecycle's own facts: the inputs
/// of the audit records the engine writes for a ``LifecycleStep``.
struct EventContext: Sendable {
    /// Who caused it: a principal id, `policy` or `airlock`.
    var actor: String
    /// The mutation's resource.
    var resource: String = ""
    /// The mutation's operation (`create`, …), for notifications.
    var operation: String?
    /// The policy version in force for the mutation.
    var policyVersion: String?
    /// The mutation's content hash (what a vote says it saw).
    var contentHash: String = ""
    /// A person's note (a vote's, a rollback's).
    var note: String?
    /// The decision's canonical JSON (for `decided`).
    var decision: String?
    /// The tier routing acted on (for `decided`).
    var tier: String?
    /// Canonical JSON of the target's values read at triage (for `decided`).
    var beforeValues: String?
    /// The canonical JSON of the problems found in an invalid submission.
    var problems: String?
    /// The change the executor applied (for `executed`), or the one being undone.
    var change: ExecutedChange?
    /// Whether the change was found applied by reconciliation rather than by the call.
    var reconciled = false
    /// The revision that supersedes the mutation, and the field diff (for `superseded`).
    var revision: (id: String, diff: Value)?
    /// The mutation as the commit that led to this event left it, when the engine holds it (a
    /// submission's own execution): the event is handled from it instead of a fresh read, and
    /// from a fresh read only if the store says it moved meanwhile.
    var known: MutationSnapshot?
}

/// Turns a lifecycle step into one ``StoreChange``: every move a transition with its audit record,
/// every write effect its operation, in the step's order. It decides nothing: what to write is
/// the step's; how to word it is here.
struct StepRecorder {
    let mutationID: String
    let snapshot: MutationSnapshot?
    let context: EventContext
    let now: Date
    /// The id a review opened by this step gets.
    let newReviewID: String
    /// Where the events the step implies go (none when no target is configured).
    var notifications: Notifications?

    /// Adds the step's writes to `change`.
    func record(_ step: LifecycleStep, into change: inout StoreChange) {
        for item in step.entries {
            switch item {
            case .move(let move):
                change.transition(mutationID, from: move.from, to: move.to, setting: update(for: move), audit: audit(for: move))
                if move.cause == .decided, move.to == .rejected {
                    // A block: the decision, and the rejection it means.
                    change.appendAudit(entry(.rejected, actor: "policy", payload: context.decision ?? "{}", mutation: true))
                }
                if case .executed = move.cause, let executed = context.change {
                    change.recordExecutedChange(CanonicalJSON.encode(executed.jsonValue), forMutation: mutationID)
                }
            case .effect(let effect):
                record(effect, step: step, into: &change)
            }
        }
        if let notifications, notifications.isEnabled {
            for notice in step.notifications {
                let event = NotificationEvent.lifecycle(
                    notice, id: Gateway.newID(prefix: "evt_", at: now), time: now, mutationID: mutationID,
                    submitter: step.state.submitter, actor: context.actor,
                    resource: context.resource.isEmpty ? snapshot?.record.resource ?? "" : context.resource,
                    operation: context.operation ?? snapshot?.record.operation, tier: context.tier ?? snapshot?.record.tier,
                    reviewID: notice.kind == .reviewOpened ? newReviewID : snapshot?.review?.id)
                notifications.enqueue(event, into: &change)
            }
        }
    }

    private func record(_ effect: LifecycleEffect, step: LifecycleStep, into change: inout StoreChange) {
        switch effect {
        case .openReview(let mode, let requirement):
            let deadline = step.state.review?.deadline.map(Gateway.date)
            change.openReview(
                NewReview(
                    id: newReviewID, mutationID: mutationID, mode: mode, groups: requirement.groups,
                    rejectAfter: max(1, requirement.rejectAfter), deadline: deadline),
                audit: entry(
                    .reviewOpened, actor: "policy",
                    payload: json([("mode", .string(mode.rawValue)), ("approvals", requirement.jsonValue)])))
        case .recordVote(let pool):
            guard let snapshot, let review = snapshot.review, let ballot = step.state.review?.ballots.last else { return }
            let decision = ballot.approve ? "approve" : "reject"
            change.castVote(
                NewVote(
                    reviewID: review.id, reviewer: ballot.reviewer, decision: ballot.approve ? .approve : .reject,
                    note: context.note, contentHash: snapshot.record.contentHash, policyVersion: snapshot.record.policyVersion,
                    pool: pool, votesBefore: snapshot.votes.count, escalationsBefore: review.escalations),
                audit: entry(
                    .voted, actor: ballot.reviewer,
                    payload: json([
                        ("decision", .string(decision)), ("pool", .string(pool)), ("note", context.note.map(Value.string) ?? .null),
                        ("content_hash", .string(snapshot.record.contentHash)),
                    ])))
        case .closeReview(let outcome):
            guard let review = snapshot?.review, let state = step.state.review else { return }
            change.closeReview(
                review.id, as: outcome,
                audit: entry(
                    .reviewClosed, actor: context.actor,
                    payload: json([
                        ("review", .string(review.id)), ("outcome", .string(outcome.rawValue)),
                        ("approvals", .int(Int64(state.ballots.count - state.rejections))),
                        ("rejections", .int(Int64(state.rejections))),
                    ])))
        case .escalateReview(let groups, let due):
            guard let review = snapshot?.review else { return }
            let deadline = due.map(Gateway.date)
            change.escalateReview(
                review.id, to: groups, deadline: deadline, fromEscalations: review.escalations,
                audit: entry(
                    .escalated, actor: context.actor,
                    payload: json([
                        ("review", .string(review.id)),
                        ("groups", .list(groups.map { object([("pool", .string($0.pool)), ("count", .int(Int64($0.count)))]) })),
                        ("deadline", deadline.map { .string(MutationView.format($0)) } ?? .null),
                    ])))
        case .raiseAlarm(let alarm):
            let detailKey = if case .verificationFailed = alarm { "mismatch" } else { "reason" }
            change.appendAudit(entry(AuditKind(rawValue: alarm.kind), actor: context.actor, payload: json([(detailKey, .string(alarm.detail))]), mutation: true))
        case .recordDecision(let tier):
            change.recordDecision(
                mutationID, in: snapshot?.record.status ?? step.state.status,
                setting: MutationUpdate(tier: tier.rawValue, policyVersion: context.policyVersion, decision: context.decision),
                audit: entry(
                    .redecided, actor: context.actor,
                    payload: json([
                        ("from_version", snapshot?.record.policyVersion.map(Value.string) ?? .null),
                        ("to_version", context.policyVersion.map(Value.string) ?? .null), ("tier", .string(tier.rawValue)),
                        ("decision", context.decision.flatMap { try? Value(json: $0) } ?? .null),
                    ]), mutation: true))
        case .learnSignal, .execute, .rollBack:
            break  // carried out after the commit
        }
    }

    /// The fields a move sets on the mutation.
    private func update(for move: StatusMove) -> MutationUpdate {
        switch move.cause {
        case .invalid: MutationUpdate(policyVersion: context.policyVersion, decision: context.problems)
        case .decided:
            MutationUpdate(
                tier: context.tier, policyVersion: context.policyVersion, decision: context.decision,
                beforeValues: context.beforeValues)
        case .superseded: MutationUpdate(supersededBy: context.revision?.id)
        case .redecided: MutationUpdate(tier: context.tier, policyVersion: context.policyVersion, decision: context.decision)
        default: MutationUpdate()
        }
    }

    /// The audit record of a move: its kind follows from the cause.
    private func audit(for move: StatusMove) -> AuditEntry {
        switch move.cause {
        case .invalid:
            return entry(.rejected, actor: "airlock", payload: context.problems ?? "{}")
        case .decided:
            return entry(.decided, actor: "policy", payload: context.decision ?? "{}")
        case .reviewApproved, .reviewRejected:
            let outcome = move.cause == .reviewApproved ? "approved" : "rejected"
            return entry(
                move.cause == .reviewApproved ? .approved : .rejected, actor: context.actor,
                payload: json([("review", .string(snapshot?.review?.id ?? newReviewID)), ("outcome", .string(outcome))]))
        case .timedOut(let onTimeout):
            return entry(
                .expired, actor: context.actor,
                payload: json([("on_timeout", .string(onTimeout.rawValue)), ("status", .string(move.to.rawValue))]))
        case .executionBegun:
            return entry(.executing, actor: "airlock", payload: json([("resource", .string(context.resource))]))
        case .outcomeReported:
            return entry(.executing, actor: context.actor, payload: reportPayload)
        case .executed(let verification):
            guard let executed = context.change else { return entry(.executed, actor: context.actor, payload: reportPayload) }
            let text: String
            switch verification {
            case .matches: text = "matches"
            case .mismatch(let what): text = "mismatch: \(what)"
            case .unverifiable(let why): text = "unverifiable: \(why)"
            }
            return entry(
                .executed, actor: "airlock",
                payload: json([("change", executed.jsonValue), ("reconciled", .bool(context.reconciled)), ("verification", .string(text))]))
        case .executionFailed(let reason):
            if context.change == nil, context.actor != "airlock" { return entry(.failed, actor: context.actor, payload: reportPayload) }
            return entry(.failed, actor: "airlock", payload: json([("reason", .string(reason))]))
        case .rollbackBegun(let cause):
            var fields: [(String, Value)] = [("reason", .string(context.note ?? cause.text))]
            if case .requested(forced: true) = cause { fields.append(("forced", .bool(true))) }
            return entry(.rollingBack, actor: context.actor, payload: json(fields))
        case .rolledBack:
            return entry(.rolledBack, actor: context.actor, payload: json([("reason", .string(context.note ?? "rolled back"))]))
        case .redecided:
            return entry(
                move.to == .rejected ? .rejected : .approved, actor: context.actor,
                payload: json([("reason", .string("decided again by policy version \(context.policyVersion ?? "?")"))]))
        case .superseded:
            return entry(
                .superseded, actor: context.actor,
                payload: json([
                    ("revision", context.revision.map { .string($0.id) } ?? .null), ("note", context.note.map(Value.string) ?? .null),
                    ("diff", context.revision?.diff ?? .null),
                ]))
        case .rollbackRefused(let why), .rollbackFailed(let why):
            let key = if case .rollbackRefused = move.cause { "rollback_refused" } else { "rollback_failed" }
            return entry(
                .executed, actor: context.actor,
                payload: json([("change", context.change?.jsonValue ?? .null), (key, .string(why))]))
        }
    }

    private var reportPayload: String {
        json([("reported_by", .string(context.actor)), ("detail", context.note.map(Value.string) ?? .null)])
    }

    private func entry(_ kind: AuditKind, actor: String, payload: String, mutation: Bool = false) -> AuditEntry {
        AuditEntry(kind: kind, actor: actor, payload: payload, policyVersion: context.policyVersion, mutationID: mutation ? mutationID : nil)
    }

    private func json(_ fields: [(String, Value)]) -> String {
        CanonicalJSON.encode(object(fields))
    }

    private func object(_ fields: [(String, Value)]) -> Value {
        .map(CELMap(fields.map { (.string($0.0), $0.1) }))
    }
}
