import AirlockCore
import AirlockStore
import CEL
import Foundation

extension Gateway {
    /// The mutation's view, if it exists.
    public func view(of id: String) async throws(GatewayError) -> MutationView? {
        try await view(of: id, decidedAs: nil)
    }

    /// The mutation's view, with `known`'s decoded decision when the stored decision is still the
    /// one it was decoded from (a vote's answer: the decision its snapshot read, not decoded again).
    func view(of id: String, decidedAs known: MutationSnapshot?) async throws(GatewayError) -> MutationView? {
        try await reviewedMutation(id).map { read in
            let decision =
                if let known, known.record.decision == read.record.decision { known.decision } else { RecordedDecision(read.record) }
            return MutationView(record: read.record, decision: DecisionSummary(decision), review: read.review, votes: read.votes)
        }
    }

    /// The mutation with its latest review and votes, read together; `nil` when there is none.
    func reviewedMutation(_ id: String) async throws(GatewayError) -> ReviewedMutation? {
        do {
            return try await store.reviewedMutation(id: id)
        } catch {
            throw .unavailable(error)
        }
    }

    /// The mutation's view if `principal` may see it: its submitter, admins, auditors, and
    /// reviewers of a pool it needs.
    public func view(of id: String, for principal: Principal) async throws(GatewayError) -> MutationView {
        guard let view = try await view(of: id) else { throw .notFound("no mutation with id '\(id)'") }
        return try readable(view, by: principal)
    }

    /// `view` as `principal` may see it (masked), or why it may not.
    func readable(_ view: MutationView, by principal: Principal) throws(GatewayError) -> MutationView {
        guard mayRead(view, principal) else {
            throw .forbidden("'\(principal.id)' may not read mutation \(view.id): it is neither its submitter, an admin, an auditor nor a reviewer of its pools")
        }
        return masked(view, for: principal)
    }

    func mayRead(_ view: MutationView, _ principal: Principal) -> Bool {
        if principal.has(.admin) || principal.has(.auditor) || view.actor == principal.id { return true }
        if principal.has(.reviewer), let approvals = view.approvals {
            return approvals.groups.contains { principal.pools.contains($0.pool) }
        }
        return false
    }

    /// Holds until the mutation's status differs from `status` (or is terminal), or `seconds`
    /// pass (at most `limits.wait_seconds`); returns the view then. Each principal holds at most
    /// `limits.long_polls_per_principal` such waits at once.
    public func waitForChange(of id: String, from status: MutationStatus?, seconds: Double, for principal: Principal)
        async throws(GatewayError) -> MutationView
    {
        let seconds = min(max(0, seconds), Double(admission.limits.waitSeconds))
        if seconds == 0 { return try await view(of: id, for: principal) }
        let admitted = admittance(of: principal)
        return try await admission.holdingLongPoll(for: principal) { () throws(GatewayError) in
            try await waitForChange(
                of: id, from: status, until: clock.now().addingTimeInterval(seconds), for: principal, admitted: admitted)
        }
    }

    /// What a waiting request's principal was admitted as: its key's fingerprint (`nil` without
    /// a key), checked again when the wait ends.
    func admittance(of principal: Principal) -> String? {
        principals.keyFingerprint(id: principal.id)
    }

    /// Refuses the answer of a wait whose principal was removed, or given a new key, while it
    /// waited (a configuration reloaded with SIGHUP): a revoked principal is answered nothing
    /// more, not even what it asked before. ``replacePrincipals(_:)`` wakes every wait, so this
    /// happens at once, not when the wait would have ended.
    func stillAdmitted(_ principal: Principal, as admitted: String?) throws(GatewayError) {
        let directory = principals
        guard directory.principal(id: principal.id) != nil, directory.keyFingerprint(id: principal.id) == admitted else {
            throw GatewayError(
                .unauthenticated, title: "Unauthenticated",
                detail: "'\(principal.id)' was removed from the configuration, or given a new key, while it waited")
        }
    }

    private func waitForChange(
        of id: String, from status: MutationStatus?, until deadline: Date, for principal: Principal, admitted: String?
    ) async throws(GatewayError) -> MutationView {
        // Without a status, the one the mutation has when the wait begins: read once, so that a
        // wake-up compares with it, not with the status it woke to.
        var expected = status
        while true {
            let ticket = notifier.register(id)
            let current: MutationView
            do {
                current = try await view(of: id, for: principal)
            } catch {
                notifier.cancel(ticket)  // an unknown id is never announced: its watch would stay
                throw error
            }
            if expected == nil { expected = current.status }
            if current.status != expected || current.status.isFinal || clock.now() >= deadline {
                notifier.cancel(ticket)
                return current
            }
            let changed = await notifier.wait(ticket, until: deadline)
            try stillAdmitted(principal, as: admitted)
            if !changed { return try await view(of: id, for: principal) }
        }
    }

    /// How many changes of mutations this gateway has announced: what ``waitForAnyChange(after:seconds:for:)``
    /// counts from.
    public var changeSequence: UInt64 { notifier.sequence }

    /// Holds until some mutation changes after `sequence` (a submission, a vote, an execution, …)
    /// or `seconds` pass, and returns the sequence then: the console's live updates. Each counts
    /// among `principal`'s long polls (`limits.long_polls_per_principal`), as the API's do.
    ///
    /// - Throws: `tooManyRequests` when the principal holds as many long polls as it may.
    public func waitForAnyChange(after sequence: UInt64, seconds: Double, for principal: Principal)
        async throws(GatewayError) -> UInt64
    {
        let admitted = admittance(of: principal)
        return try await admission.holdingLongPoll(for: principal) { () throws(GatewayError) -> UInt64 in
            let deadline = clock.now().addingTimeInterval(seconds)
            guard let ticket = notifier.registerAny(after: sequence) else { return notifier.sequence }
            _ = await notifier.wait(ticket, until: deadline)
            try stillAdmitted(principal, as: admitted)
            return notifier.sequence
        }
    }

    /// How many requests are watching mutations for a change (long polls, and those about to park).
    public var waitingRequests: Int { notifier.watching }

    /// Answers every pending ``waitForChange(of:from:seconds:for:)`` now, and every later one at
    /// once, with the mutation as it is: called on shutdown so that long polls do not hold it up.
    public func endWaits() {
        notifier.close()
    }

    /// A page of mutations, oldest first, and the cursor of the next page.
    public func list(
        statuses: Set<MutationStatus>, resource: String?, actor: String?, limit: Int, after cursor: String?,
        for principal: Principal
    ) async throws(GatewayError) -> (views: [MutationView], next: String?) {
        let limit = min(max(limit, 1), 500)
        var actorFilter = actor
        if !(principal.has(.admin) || principal.has(.auditor) || principal.has(.reviewer)) {
            if let actor, actor != principal.id {
                throw .forbidden("'\(principal.id)' may only list its own mutations")
            }
            actorFilter = principal.id
        }
        do {
            if let cursor, try await store.mutation(id: cursor) == nil {
                throw GatewayError(
                    .badRequest, title: "Unknown cursor",
                    detail: "cursor '\(cursor)' is not the next_cursor of a page (no mutation has that id)")
            }
            // Mutations the principal may not read (a reviewer's view of others' low-tier ones)
            // are skipped after reading, so the store is read on until the page is full, at most
            // `scanBatches` batches: past that, a page may hold fewer than `limit`, and its cursor
            // goes on from where the scan stopped.
            var views: [MutationView] = []
            var after = cursor
            for _ in 0..<Self.scanBatches {
                let records = try await store.mutations(
                    MutationQuery(statuses: statuses, actorID: actorFilter, resource: resource, after: after, limit: limit + 1))
                for (index, record) in records.prefix(limit).enumerated() {
                    let view = try await view(of: record)
                    guard mayRead(view, principal) else { continue }
                    views.append(masked(view, for: principal))
                    if views.count == limit {
                        return (views, index + 1 < records.count ? record.id : nil)
                    }
                }
                guard records.count > limit else { return (views, nil) }
                after = records[limit - 1].id
            }
            return (views, after)
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
    }

    /// How many batches of `limit` mutations one page reads at most.
    static var scanBatches: Int { 20 }

    /// Open reviews `principal` may act on: in its pools (those of `pools` among them, when
    /// given), not of its own mutations or those of a principal it owns, not yet voted on by it.
    /// Earliest deadline first (so overdue ones lead), then those without a deadline, oldest
    /// first; at most `limit`. The store reads them through an index, so the head of a queue
    /// among a million open reviews answers as fast as among ten.
    public func openReviews(for principal: Principal, pools: [String]? = nil, limit: Int = 100)
        async throws(GatewayError) -> [(review: ReviewRecord, view: MutationView)]
    {
        guard principal.has(.reviewer) else {
            throw .forbidden("'\(principal.id)' does not have the reviewer role")
        }
        let mine = principal.pools.sorted()
        let asked = pools.map { wanted in mine.filter { wanted.contains($0) } } ?? mine
        // Separation of duties: its own mutations, and those of anyone it owns (directly or up a chain).
        let excluded = [principal.id] + principals.principals.map(\.id).filter { principals.ownerChain(of: $0).contains(principal.id) }
        do {
            // The page, its mutations and their votes in one read.
            return try await store.reviewQueue(pools: asked, reviewer: principal.id, excludingActors: excluded, limit: max(1, limit))
                .map { entry in
                    let view = MutationView(
                        record: entry.mutation, decision: DecisionSummary(RecordedDecision(entry.mutation)), review: entry.review,
                        votes: entry.votes)
                    return (entry.review, masked(view, for: principal))
                }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
    }
}

extension Gateway {
    /// The active pack's resources with a JSON Schema of their changes
    /// (`{policy_version, items: […]}`): what any signed-in principal may propose.
    public func resourceCatalog(for principal: Principal) throws(GatewayError) -> Value {
        guard let pack = activePack else {
            throw GatewayError(.unavailable, title: "No policy", detail: "no policy version is active")
        }
        _ = principal  // every principal may read it
        return .map(CELMap([(.string("policy_version"), .string(pack.version)), (.string("items"), pack.resourceCatalog)]))
    }
}
