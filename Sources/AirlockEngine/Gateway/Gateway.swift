import AirlockCore
import AirlockStore
import CEL
import Crypto
import Foundation
import Logging
import Synchronization

/// The pipeline of one gateway: triage, signals, policy, routing and decision capture, over a
/// ``Store``. The HTTP server and the CLI call it; it knows nothing of HTTP.
///
/// Every decision is durable (the mutation, its transitions and their audit records committed
/// in one transaction) before a call returns. Concurrent calls share commits through the
/// store's group commit.
public final class Gateway: Sendable {
    /// Where everything is kept.
    public let store: any Store
    /// The known principals: replaced whole when the configuration is reloaded
    /// (``replacePrincipals(_:)``), so every request reads one consistent directory.
    public var principals: PrincipalDirectory { directory.withLock { $0.principals } }
    /// The request limits and each principal's rate and long polls.
    public let admission: Admission
    /// The public half of the audit signing key (raw 32 bytes), for verification.
    let auditPublicKeyBytes: [UInt8]?
    /// Each principal as a policy actor, built once per directory (its CEL value is built with it).
    var actors: [String: Actor] { directory.withLock { $0.actors } }
    private let directory: Mutex<Directory>
    /// The executor of each resource (the caller executes resources without one).
    public let executors: Executors
    /// The time every part of the engine reads and waits on.
    public let clock: any GatewayClock
    /// Where the engine says what it did not manage to do (every line about a mutation names it).
    public let logger: Logger
    let notifier: ChangeNotifier
    /// What the gateway counts and times (exported at `/metrics`).
    public let metrics: GatewayMetrics
    /// The key of the tokens that stand for content hashes a masked reader may not see
    /// (``seenToken(_:)``); random per start.
    let seenKey: Data
    /// Rung when a review's deadline is set, to wake the deadline service.
    let deadlineAlarm = Doorbell()
    /// Where webhook events go; ``WebhookDeliveryService`` delivers them.
    public let notifications: Notifications
    private let active: Mutex<ActivePolicy?>
    /// The candidate running in shadow, if any (``startShadow(policyVersion:by:)``).
    let shadow = Mutex<ShadowPolicy?>(nil)
    /// The per-hour distributions being counted and the drift alarms in force (``checkDrift()``).
    let driftBook = Mutex(DriftBook())
    /// The oversight checks' state (``checkOversight()``).
    let oversightBook = Mutex(OversightBook())
    private let signalBook: Mutex<SignalBook>
    /// The freeze and the activity counters behind `system.*` (``SystemBook``).
    let systemBook: Mutex<SystemBook>

    /// How often the in-memory signal history is written to the store (``SignalSaveService``).
    public static let signalSaveInterval: TimeInterval = 2
    static let signalStateKey = "signals"

    /// The policy decisions are made under.
    struct ActivePolicy: Sendable {
        let engine: PolicyEngine
        var pack: PolicyPack { engine.pack }
    }

    /// The principals and their actors, replaced together.
    struct Directory: Sendable {
        var principals: PrincipalDirectory
        var actors: [String: Actor]

        init(_ principals: PrincipalDirectory) {
            self.principals = principals
            var actors: [String: Actor] = [:]
            for principal in principals.principals { actors[principal.id] = Gateway.actor(of: principal) }
            self.actors = actors
        }
    }

    struct SignalBook: Sendable {
        var state = SignalState()
        var dirty = false
        /// On a store shared with other instances: the events added since the last save, which
        /// the save merges into the stored history (``saveSignals()``).
        var delta: SignalState?
    }

    public init(
        store: any Store, principals: PrincipalDirectory, clock: any GatewayClock = SystemClock(),
        auditPublicKey: Curve25519.Signing.PublicKey? = nil, executors: Executors = Executors(),
        notifications: Notifications = Notifications(), logger: Logger = Logger(label: "airlock.engine"),
        metrics: GatewayMetrics = .none
    ) {
        self.logger = logger
        self.metrics = metrics
        self.notifications = notifications
        self.notifier = ChangeNotifier(clock: clock)
        var bytes = SystemRandomNumberGenerator()
        self.seenKey = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &bytes) })
        self.store = store
        self.executors = executors
        self.directory = Mutex(Directory(principals))
        self.auditPublicKeyBytes = auditPublicKey.map { Array($0.rawRepresentation) }
        self.clock = clock
        self.admission = Admission(clock: clock)
        self.active = Mutex(nil)
        self.signalBook = Mutex(SignalBook(delta: store.isShared ? SignalState() : nil))
        self.systemBook = Mutex(SystemBook())
    }

    /// Puts a reloaded configuration's principals in force: the next request authenticates
    /// against them (a removed principal's key is refused at once, a changed role or pool
    /// counts from its next call), and a removed principal's open long polls end with 401.
    public func replacePrincipals(_ principals: PrincipalDirectory) {
        let replacement = Directory(principals)
        directory.withLock { $0 = replacement }
        // Every long poll checks its mutation and its principal again: a removed principal's
        // wait ends now with 401; the others find nothing changed and wait on.
        notifier.announceEveryone()
    }

    /// Loads the active policy, the signal history and the system state (the freeze, the open
    /// reviews, the last hour's executions and rollbacks) from the store. The configured pack is
    /// recorded and activated when its version is new to the store; when it is already known,
    /// the store's active version stays in force (so an activation through the API, or a
    /// rollback to an earlier version, survives a restart) — unless it no longer checks, when the
    /// configured pack is activated instead (audited with the reason).
    public func start(configuredPack pack: PolicyPack, files: [(name: String, text: String)], by who: String)
        async throws
    {
        let known = try await store.policyVersion(hash: pack.version)
        if known == nil {
            var change = StoreChange(at: clock.now())
            change.recordPolicyVersion(
                NewPolicyVersion(name: pack.name, hash: pack.version, text: PackText.encode(files), createdBy: who))
            change.activatePolicyVersion(
                hash: pack.version, by: who,
                audit: AuditEntry(
                    kind: .policyActivated, actor: who,
                    payload: CanonicalJSON.encode(Self.policyPayload(pack, reason: "configured pack changed")),
                    policyVersion: pack.version))
            _ = try await store.apply(change)
            active.withLock { $0 = ActivePolicy(engine: PolicyEngine(pack: pack)) }
        } else if let current = try await store.activePolicyVersion(), current.hash != pack.version,
            let stored = loadStored(current)
        {
            active.withLock { $0 = ActivePolicy(engine: PolicyEngine(pack: stored)) }
        } else {
            // No active version yet, the configured one, or an active version stored by an Airlock
            // whose checks this one has since tightened (it no longer loads): the configured pack,
            // which has just checked, is activated, and the audit log says why.
            let current = try await store.activePolicyVersion()
            if current?.hash != pack.version {
                let reason = current.map { "stored active version \($0.hash) no longer checks; configured pack activated" }
                var change = StoreChange(at: clock.now())
                change.activatePolicyVersion(
                    hash: pack.version, by: who,
                    audit: AuditEntry(
                        kind: .policyActivated, actor: who,
                        payload: CanonicalJSON.encode(Self.policyPayload(pack, reason: reason ?? "configured pack")),
                        policyVersion: pack.version))
                _ = try await store.apply(change)
            }
            active.withLock { $0 = ActivePolicy(engine: PolicyEngine(pack: pack)) }
        }
        if let blob = try await store.signalState(key: Self.signalStateKey) {
            do {
                let state = try JSONDecoder().decode(SignalState.self, from: blob)
                signalBook.withLock { $0.state = state }
            } catch {
                logger.warning("the stored signal history does not decode; signals start afresh", metadata: ["error": "\(error)"])
            }
        }
        try await loadFreeze()
        try await loadShadow()
        try await seedActivity()
        if known == nil {
            // A new pack came with this start: the mutations under review are decided again
            // under it, as an activation through the API does.
            await redecideOpenReviews(by: who)
        }
    }

    /// A stored policy version, or `nil` (logged) when it no longer checks.
    private func loadStored(_ version: PolicyVersionRecord) -> PolicyPack? {
        do {
            return try PackText.load(version.text)
        } catch {
            logger.warning(
                "the stored active policy version no longer checks", metadata: ["version": "\(version.hash)", "error": "\(error)"])
            return nil
        }
    }

    /// Applies a change and, when it put events in the outbox, wakes the delivery service once it
    /// is committed. Every engine write that may carry events goes through here.
    @discardableResult
    public func apply(_ change: StoreChange) async throws -> StoreReceipt {
        let receipt = try await store.apply(change)
        if change.enqueuesNotifications { notifications.ring() }
        return receipt
    }

    /// The public half of the audit signing key.
    public var auditPublicKey: Curve25519.Signing.PublicKey? {
        auditPublicKeyBytes.flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    /// The policy in force.
    public var activePack: PolicyPack? { active.withLock { $0?.pack } }

    func activate(_ pack: PolicyPack) {
        active.withLock { $0 = ActivePolicy(engine: PolicyEngine(pack: pack)) }
    }

    func policyEngine() throws(GatewayError) -> PolicyEngine {
        guard let engine = active.withLock({ $0?.engine }) else {
            throw GatewayError(.unavailable, title: "No policy", detail: "no policy is loaded yet")
        }
        return engine
    }

    // MARK: Signals

    /// The signals of a mutation, derived under the lock: a snapshot of the whole history held
    /// across a decision would make every concurrent update copy it.
    func signals(for mutation: Mutation, actor: Actor, pack: PolicyPack, at time: Timestamp) -> Signals {
        signalBook.withLock { $0.state.signals(for: mutation, actor: actor, in: pack, now: time) }
    }

    /// Counts a submission in its actor's rate, whatever becomes of it (a burst of refused
    /// attempts is itself a signal).
    func countSubmission(of actor: Actor, at now: Date) {
        let time = Self.timestamp(now)
        signalBook.withLock { book in
            book.state.countSubmission(actorID: actor.id, at: time)
            book.delta?.countSubmission(actorID: actor.id, at: time)
            book.dirty = true
        }
    }

    /// Counts an approved mutation in the history its statistics are drawn from (the lifecycle's
    /// `learnSignal`); ``SignalSaveService`` writes it to the store.
    func learnSignal(_ id: String, submitter: String, mutation known: Mutation?) async {
        guard let pack = activePack, let mutation = await decidedMutation(id, known) else { return }
        let time = Self.timestamp(clock.now())
        let actor = actors[submitter] ?? Actor(id: submitter, kind: .agent)
        signalBook.withLock { book in
            book.state.record(mutation, actor: actor, in: pack, at: time)
            book.delta?.record(mutation, actor: actor, in: pack, at: time)
            book.dirty = true
        }
    }

    /// Writes the signal history if it changed since the last save. On a store shared with other
    /// instances, merges the events added here since the last save into the stored history (under
    /// the store's write lock) and takes the result, which holds every instance's events.
    public func saveSignals() async throws {
        if store.isShared {
            try await mergeSignals()
            return
        }
        let due: SignalState? = signalBook.withLock { book in
            guard book.dirty else { return nil }
            book.dirty = false
            return book.state
        }
        guard let due else { return }
        var change = StoreChange(at: clock.now())
        change.saveSignalState(try JSONEncoder().encode(due), forKey: Self.signalStateKey)
        _ = try await store.apply(change)
    }

    /// The shared save: this instance's new events into the stored history, and every
    /// instance's back.
    private func mergeSignals() async throws {
        let delta: SignalState = signalBook.withLock { book in
            defer {
                book.delta = SignalState()
                book.dirty = false
            }
            return book.delta ?? SignalState()
        }
        let merged: Data
        do {
            merged = try await store.mergeSignalState(key: Self.signalStateKey, at: clock.now()) { stored in
                var history = SignalState()
                if let stored {
                    do {
                        history = try JSONDecoder().decode(SignalState.self, from: stored)
                    } catch {
                        // A history that no longer decodes is replaced, not kept failing every save.
                    }
                }
                history.merge(delta)
                return try JSONEncoder().encode(history)
            }
        } catch {
            // Kept for the next save.
            signalBook.withLock { book in
                var kept = delta
                if let newer = book.delta { kept.merge(newer) }
                book.delta = kept
                book.dirty = true
            }
            throw error
        }
        let shared = try JSONDecoder().decode(SignalState.self, from: merged)
        signalBook.withLock { book in
            var state = shared
            // What was added here while the save ran.
            if let newer = book.delta { state.merge(newer) }
            book.state = state
        }
    }

    // MARK: Helpers

    /// A timestamp as a date.
    static func date(_ time: Timestamp) -> Date {
        Date(timeIntervalSince1970: Double(time.seconds) + Double(time.nanos) / 1_000_000_000)
    }

    static func timestamp(_ date: Date) -> Timestamp {
        let nanos = (date.timeIntervalSince1970 * 1_000_000_000).rounded(.down)
        let seconds = (nanos / 1_000_000_000).rounded(.down)
        return Timestamp(seconds: Int64(seconds), nanos: Int32(nanos - seconds * 1_000_000_000))
    }

    static func policyPayload(_ pack: PolicyPack, reason: String) -> Value {
        .map(CELMap([
            (.string("policy"), .string(pack.name)), (.string("version"), .string(pack.version)),
            (.string("reason"), .string(reason)),
        ]))
    }

    /// A new mutation id: time-ordered, with 64 random bits.
    static func newID(prefix: String, at date: Date) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let random = UInt64.random(in: .min ... .max)
        return prefix + String(millis, radix: 16).leftPadded(to: 12) + String(random, radix: 16).leftPadded(to: 16)
    }
}
