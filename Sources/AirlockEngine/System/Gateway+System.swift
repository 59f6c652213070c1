import AirlockCore
import AirlockStore
import CEL
import Foundation
import Logging
import Synchronization

extension Gateway {
    /// The longest freeze reason accepted.
    static let freezeReasonLimit = 1000

    /// System state seen by policies as `system`: the freeze an admin set, the reviews open now
    /// (`queue_depth`) and the share of the last hour's executions that were rolled back
    /// (`rollback_rate_1h`, ``SystemActivity``). Held in memory and kept up to date as steps
    /// commit; reading it touches no store.
    public var system: SystemState { system(at: clock.now()) }

    /// The system state at `date` (a decision's own time).
    func system(at date: Date) -> SystemState {
        let seconds = Self.epochSeconds(date)
        return systemBook.withLock { $0.state(at: seconds) }
    }

    /// The system state, the freeze's who/why/since and the policy in force (any principal).
    public func systemView(for principal: Principal) -> SystemView {
        _ = principal  // every authenticated principal may see whether the gateway is frozen
        return currentSystemView()
    }

    /// Freezes (`on`) or thaws the gateway (admins): written to the store with a
    /// `freeze_changed` audit record and its `freeze_changed` webhook event in one commit, then in
    /// force for every decision that follows. A freeze needs a reason; a thaw may give one.
    ///
    /// - Throws: ``GatewayError``: `.forbidden` for a non-admin, `.badRequest` for a freeze
    ///   without a reason or a reason over 1000 characters, `.unavailable` when the store fails.
    public func setFreeze(_ on: Bool, reason: String?, by principal: Principal) async throws(GatewayError) -> SystemView {
        try authorizeFreeze(by: principal)
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if on, reason?.isEmpty ?? true {
            throw GatewayError(
                .badRequest, title: "Bad request", detail: "a freeze needs a reason (it is audited and shown to everyone)",
                errors: [("reason", "required non-empty string when on is true")])
        }
        if let reason, reason.count > Self.freezeReasonLimit {
            throw GatewayError(
                .badRequest, title: "Bad request", detail: "the reason is limited to \(Self.freezeReasonLimit) characters",
                errors: [("reason", "at most \(Self.freezeReasonLimit) characters")])
        }
        let now = clock.now()
        let record = FreezeRecord(on: on, reason: reason.flatMap { $0.isEmpty ? nil : $0 }, since: now, by: principal.id)
        var payload = CELMap()
        payload["on"] = .bool(on)
        payload["reason"] = record.reason.map(Value.string) ?? .null
        var change = StoreChange(at: now)
        change.setFreeze(
            record,
            audit: AuditEntry(
                kind: .freezeChanged, actor: principal.id, payload: CanonicalJSON.encode(.map(payload)),
                policyVersion: activePack?.version))
        notifications.enqueue(.freezeChanged(record, id: Self.newID(prefix: "evt_", at: now)), into: &change)
        do {
            _ = try await apply(change)
            // The store is the truth: what is in force is what was committed last, even when two
            // admins set it at once.
            try await loadFreeze()
        } catch {
            logger.error("recording a freeze failed", metadata: ["on": "\(on)", "by": "\(principal.id)", "error": "\(error)"])
            throw .unavailable(error)
        }
        logger.notice(
            on ? "the gateway is frozen" : "the gateway is thawed",
            metadata: ["by": "\(principal.id)", "reason": "\(record.reason ?? "")"])
        return currentSystemView()
    }

    /// Refuses a principal that may not freeze or thaw the gateway (before its request is read).
    public func authorizeFreeze(by principal: Principal) throws(GatewayError) {
        guard principal.has(.admin) else {
            throw .forbidden("'\(principal.id)' is not an admin; freezing or thawing the gateway needs it")
        }
    }

    /// Reads the freeze from the store into memory. The one place it is loaded: at start-up, after
    /// a change, and — once several instances share a store — wherever they learn that another
    /// instance changed it.
    public func loadFreeze() async throws {
        let stored = try await store.freeze()
        systemBook.withLock { $0.freeze = stored }
    }

    /// Seeds the counters from the store at start-up: the open reviews, and the executions and
    /// rollbacks of the last hour per minute (indexed reads, once; from then on every committed
    /// step counts itself).
    func seedActivity() async throws {
        let now = Self.epochSeconds(clock.now())
        // The hour window holds the current minute and the 59 before it.
        let minute = now >= 0 ? now / 60 : (now - 59) / 60
        let since = Date(timeIntervalSince1970: TimeInterval((minute - 59) * 60))
        var activity = SystemActivity(openReviews: try await store.openReviewCount())
        for move in try await store.moveCounts(from: .executing, to: .executed, since: since, bucketSeconds: 60) {
            activity.recordExecuted(at: Self.epochSeconds(move.bucketStart), count: move.count)
        }
        for move in try await store.moveCounts(from: .rollingBack, to: .rolledBack, since: since, bucketSeconds: 60) {
            activity.recordRolledBack(at: Self.epochSeconds(move.bucketStart), count: move.count)
        }
        systemBook.withLock { $0.reset(to: activity) }
    }

    /// Reads the open reviews again from the store (one count over the open reviews' index).
    func refreshOpenReviews() async throws {
        let count = try await store.openReviewCount()
        systemBook.withLock { $0.setOpenReviews(count) }
    }

    /// Counts what a committed step changed in `system.*`.
    func countActivity(_ step: LifecycleStep) {
        let seconds = Self.epochSeconds(clock.now())
        systemBook.withLock { $0.count(step, at: seconds) }
    }

    private func currentSystemView() -> SystemView {
        let seconds = Self.epochSeconds(clock.now())
        let (freeze, state) = systemBook.withLock { ($0.freeze, $0.state(at: seconds)) }
        return SystemView(freeze: freeze, state: state, policy: activePack.map { (name: $0.name, version: $0.version) })
    }

    static func epochSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }
}
