import AirlockCore
import AirlockStore
import CEL
import Foundation

/// Everything a reviewer needs to decide on one mutation: the view, the values it replaces, the
/// data class of each field, the decision with the values every rule read and the signals, the
/// review with its deadline, and the whole audit timeline. What the console's mutation page shows.
public struct MutationDetail: Sendable {
    /// The mutation as the reader may see it (masked fields are null).
    public var view: MutationView
    /// The target's values before the change, as triage read them (masked like ``view``).
    public var before: CELMap?
    /// The data class of each field of the resource.
    public var fieldClasses: [String: String]
    /// The stored decision (reasons with the values they read, signals, data, approvals), with
    /// the values of masked fields replaced by null.
    public var decision: Value?
    /// The latest review.
    public var review: ReviewRecord?
    /// Every audit record of the mutation, oldest first.
    public var timeline: [AuditRecord]
    /// Whether the reader may vote on it now (a reviewer of an open review's pools who is neither
    /// its submitter nor accountable for it and has not voted).
    public var mayVote: Bool
}

extension Gateway {
    /// The detail of a mutation for `principal`, who must be allowed to read it.
    public func detail(of id: String, for principal: Principal) async throws(GatewayError) -> MutationDetail {
        // One read for the view and the detail.
        guard let read = try await reviewedMutation(id) else { throw .notFound("no mutation with id '\(id)'") }
        let (record, review, votes) = (read.record, read.review, read.votes)
        let view = try readable(
            MutationView(record: record, decision: DecisionSummary(RecordedDecision(record)), review: review, votes: votes), by: principal)
        do {
            let classes = MutationView.fieldClasses(of: view.resource, in: activePack)
            let hidden = MutationView.hiddenFields(classes, for: principal)
            var before: CELMap?
            if let text = record.beforeValues, case .map(let map)? = try? Value(json: text) {
                var shown = CELMap()
                for (key, value) in map.entries {
                    if case .string(let name) = key, hidden.contains(name) {
                        shown[key] = .null
                    } else {
                        shown[key] = value
                    }
                }
                before = shown
            }
            var decision = record.decision.flatMap { try? Value(json: $0) }
            // The recorded inputs repeat the actor and the `before` values, which are shown
            // (masked) apart: the decision is shown without them.
            if case .map(var map)? = decision, case .some = map["inputs"] {
                map["inputs"] = nil
                decision = .map(map)
            }
            if let current = decision, !hidden.isEmpty {
                decision = Self.maskingReadValues(current, hidden: hidden, templates: MutationView.reasonTemplates(in: activePack))
            }
            let mayVote =
                review?.status == .open && principal.has(.reviewer) && record.actorID != principal.id
                && !principals.ownerChain(of: record.actorID).contains(principal.id)
                && (review?.groups.contains { principal.pools.contains($0.pool) } ?? false)
                && !votes.contains { $0.reviewer == principal.id }
            return MutationDetail(
                view: view, before: before, fieldClasses: classes, decision: decision, review: review,
                timeline: try await store.auditRecords(mutationID: id), mayVote: mayVote)
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
    }

    /// A decision whose rules' read values of fields the principal is not cleared for are null.
    /// A decision as a reader who may not see `hidden` fields may see it: the values rules read of
    /// those fields (or of a whole map holding them) are null, and messages that may quote them are
    /// replaced (``MutationView/mayQuote(_:_:)``).
    static func maskingReadValues(_ decision: Value, hidden: Set<String>, templates: [String: String]) -> Value {
        guard case .map(var map) = decision, case .list(let reasons)? = map["reasons"] else { return decision }
        map["reasons"] = .list(
            reasons.map { reason in
                guard case .map(var entry) = reason else { return reason }
                if case .map(let values)? = entry["values"] {
                    var shown = CELMap()
                    for (key, value) in values.entries {
                        if case .string(let path) = key, MutationView.pathNamesHidden(path, hidden) {
                            shown[key] = .null
                        } else {
                            shown[key] = value
                        }
                    }
                    entry["values"] = .map(shown)
                }
                if case .string(let rule)? = entry["rule"], MutationView.mayQuote(templates[rule], hidden) {
                    entry["message"] = .string(MutationView.hiddenReason)
                }
                return .map(entry)
            })
        return .map(map)
    }

    /// The field a rule's read path names (`mutation.changes.amount`, `mutation.before.email`).
    public static func changedField(_ path: String) -> String? {
        for prefix in ["mutation.changes.", "mutation.before."] where path.hasPrefix(prefix) {
            return String(path.dropFirst(prefix.count).prefix { $0 != "." && $0 != "[" })
        }
        return nil
    }
}
