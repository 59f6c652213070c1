import AirlockCore
import AirlockStore
import CEL
import Foundation
import Logging

extension Gateway {
    /// How often an event is tried again from a fresh read when a concurrent change moved the
    /// mutation (or its review) first.
    static let raceRetries = 8

    /// Handles an event of a stored mutation: reads its state, asks ``Lifecycle``, commits what the
    /// step says in one transaction, then carries out what follows the commit (executor calls,
    /// whose answers are the next events). When a concurrent change moved the mutation between the
    /// read and the commit, the store refuses the commit and the event is handled again from a
    /// fresh read.
    ///
    /// - Returns: the step, and how a rollback it started ended.
    /// - Throws: ``GatewayError``: `.notFound`, `.conflict` (a lifecycle refusal), `.unavailable`.
    @discardableResult
    func handle(_ event: LifecycleEvent, of id: String, context: EventContext) async throws(GatewayError) -> Handled {
        var known = context.known
        for attempt in 1...Self.raceRetries {
            let snapshot: MutationSnapshot
            if let held = known {
                snapshot = held
                known = nil
            } else {
                snapshot = try await read(id)
            }
            // A vote on a mutation decided under an earlier policy version than the active one
            // (an activation whose scan has not reached it): decided again first, then read
            // afresh, so no approval under the old rules counts.
            if case .voteCast = event, snapshot.state.review?.status == .open,
                let active = try? policyEngine().pack.version, snapshot.record.policyVersion != active
            {
                try await redecideIfStale(id, by: "policy")
                continue
            }
            let step: LifecycleStep
            do {
                step = try Lifecycle.handle(event, in: snapshot.state)
            } catch {
                throw Self.refused(error, id: id)
            }
            if step.isEmpty { return Handled(step: step, snapshot: snapshot) }
            var context = context
            context.known = nil
            context.policyVersion = context.policyVersion ?? snapshot.record.policyVersion
            context.resource = snapshot.record.resource
            context.operation = snapshot.record.operation
            context.contentHash = snapshot.record.contentHash
            if context.change == nil, step.effects.contains(where: Self.needsChange) {
                context.change = try await recordedChange(of: id)
            }
            let now = clock.now()
            var change = StoreChange(at: now)
            StepRecorder(
                mutationID: id, snapshot: snapshot, context: context, now: now, newReviewID: Self.newID(prefix: "rev_", at: now),
                notifications: notifications
            ).record(step, into: &change)
            // Decided from this read: refused if anything moved the mutation since (a vote landing
            // while its execution finishes), then decided again from a fresh read.
            change.expectRevision(id, snapshot.record.revision)
            do {
                _ = try await apply(change)
            } catch let error as StoreError where error.isRace && attempt < Self.raceRetries {
                logger.debug("mutation changed meanwhile; handling again", metadata: ["mutation": "\(id)", "event": "\(event.name)", "race": "\(error.code)"])
                continue
            } catch let error as StoreError where error.isRace {
                throw .conflict("mutation \(id) kept changing while \(event.name) was handled: \(error.message)")
            } catch let error as StoreError where error.code == .duplicateVote {
                throw .conflict("mutation \(id): \(error.message)")
            } catch let error as StoreError where error.code == .requesterCannotVote {
                throw .forbidden("\(error.message): separation of duties")
            } catch {
                logger.error("writing a lifecycle step failed", metadata: ["mutation": "\(id)", "event": "\(event.name)", "error": "\(error)"])
                throw .unavailable(error)
            }
            let rollback = await carryOut(step, of: id, mutation: nil, context: context)
            return Handled(step: step, snapshot: snapshot, rollback: rollback)
        }
        throw .conflict("mutation \(id) kept changing while \(event.name) was handled")
    }

    /// What follows a committed step: wake the waiters, count what it changed in `system.*`
    /// (reviews opened and closed, executions, rollbacks), count the mutation in the signal
    /// history, and call the executor — whose answer is handled as the next event.
    @discardableResult
    func carryOut(_ step: LifecycleStep, of id: String, mutation known: Mutation?, context: EventContext) async
        -> RollbackResult?
    {
        notifier.announce(id)
        countActivity(step)
        metrics.counted(step)
        var rollback: RollbackResult?
        for effect in step.effects {
            switch effect {
            case .learnSignal:
                await learnSignal(id, submitter: step.state.submitter, mutation: known)
            case .execute:
                await execute(id, mutation: known, context: context)
            case .rollBack(let cause):
                guard let executed = context.change else {
                    logger.error("a rollback was started without a record of the change", metadata: ["mutation": "\(id)"])
                    continue
                }
                rollback = await undo(id, executed, cause: cause, attempt: step.state.rollbackAttempts, context: context)
            case .openReview, .escalateReview:
                deadlineAlarm.ring()  // written with the step; the deadline service may need to wake sooner
            case .recordVote, .closeReview, .raiseAlarm, .recordDecision:
                break  // written with the step
            }
        }
        return rollback
    }

    /// Handles an event the engine itself produced (an executor's answer): a failure is logged
    /// with the mutation id, never dropped; the mutation stays where it is and reconciliation takes
    /// it up.
    func follow(_ event: LifecycleEvent, of id: String, context: EventContext) async {
        do {
            try await handle(event, of: id, context: context)
        } catch {
            logger.error(
                "recording an executor's answer failed; reconciliation will take the mutation up",
                metadata: ["mutation": "\(id)", "event": "\(event.name)", "error": "\(error)"])
        }
    }

    /// The mutation's snapshot, or why it cannot be had.
    private func read(_ id: String) async throws(GatewayError) -> MutationSnapshot {
        do {
            guard let read = try await snapshot(of: id) else { throw GatewayError.notFound("no mutation with id '\(id)'") }
            return read
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
    }

    /// What handling an event did.
    struct Handled: Sendable {
        var step: LifecycleStep
        /// The read the step was decided from (before the step).
        var snapshot: MutationSnapshot
        /// How a rollback the step started ended, when it did.
        var rollback: RollbackResult?
    }

    private static func needsChange(_ effect: LifecycleEffect) -> Bool {
        if case .rollBack = effect { return true }
        return false
    }

    /// The change an executor applied for the mutation, as recorded with its `executed` move.
    func recordedChange(of id: String) async throws(GatewayError) -> ExecutedChange? {
        do {
            guard let record = try await store.executedChange(mutationID: id) else { return nil }
            guard let change = ExecutedChange(jsonValue: try Value(json: record.change)) else {
                logger.error("the recorded change does not read back", metadata: ["mutation": "\(id)"])
                return nil
            }
            return change
        } catch {
            throw .unavailable(error)
        }
    }

    /// A lifecycle refusal as the API's error.
    static func refused(_ refusal: LifecycleRefusal, id: String) -> GatewayError {
        switch refusal.code {
        case .submitterCannotVote, .notInPool:
            .forbidden("\(refusal.message) (mutation \(id))")
        case .alreadyVoted, .staleView, .wrongStatus, .notAwaitingReview, .irreversible, .executedByAirlock, .executedByCaller, .noApprovers,
            .notDue:
            .conflict("mutation \(id): \(refusal.message)")
        }
    }
}

extension StoreError {
    /// A refusal that means another writer moved the mutation or its review between this
    /// writer's read and its commit: handling the event again from a fresh read settles it.
    var isRace: Bool {
        code == .statusMismatch || code == .votesChanged || code == .reviewNotOpen
    }
}
