import CEL

/// The history signals are derived from: per actor, its recent rate of submissions and, per
/// resource, running statistics of every numeric field of its executed mutations; per resource,
/// statistics over all actors and the values seen of fields marked `track_new`.
///
/// A plain value kept by the caller (the engine; the store persists it). Deriving signals does not
/// change it. The caller calls ``countSubmission(actorID:at:)`` for every submission (refused ones
/// too) after deriving its signals, and ``record(_:actor:in:at:)`` for each mutation that executes.
///
/// At most ``maxActors`` actors are remembered: adding one more first forgets the actors whose
/// history no longer changes any signal, then the least recently active ones (see
/// ``maxActors``).
public struct SignalState: Sendable, Codable {
    struct ActorHistory: Sendable {
        /// Submissions, whatever became of them.
        var lastMinute = RateWindow.minute()
        var lastHour = RateWindow.hour()
        /// Per resource with an executed mutation, per numeric field.
        var resources = NameTable<NameTable<RunningStats>>()
        /// The latest time (seconds since the epoch) a submission was counted or a mutation
        /// recorded: the order in which the bound forgets actors.
        var lastActive = Int64.min
    }

    struct ResourceHistory: Sendable, Codable {
        var fields = NameTable<RunningStats>()
        /// Per `track_new` field, the values seen (as canonical JSON text).
        var seen = NameTable<Set<String>>()
    }

    // Resources and fields are few and read on every decision: kept in name tables (no string
    // hashing); actors are many and keyed by a dictionary. Saved as nested JSON objects.
    var actors: [String: ActorHistory] = [:]
    var resources = NameTable<ResourceHistory>()

    /// The bound is a setting of whoever keeps the state, not history: it is not saved.
    private enum CodingKeys: String, CodingKey {
        case actors, resources
    }

    /// The most actors remembered (``defaultMaxActors`` unless set; at least 1).
    ///
    /// When a new actor would exceed it, the actors whose history no longer changes any signal
    /// (no executed mutation, no submission in the last hour) are dropped, then the least recently
    /// active ones until 90% of the bound is left, so eviction runs once per tenth of the bound,
    /// not once per actor. An evicted actor reads as new: its next mutation of any resource is a
    /// first time, its rates restart from its next submission and its z-scores from its next
    /// executed mutation. Lowering the bound evicts at once; a decoded state keeps every actor it
    /// was saved with until the next new actor or a change of the bound.
    public var maxActors = SignalState.defaultMaxActors {
        didSet {
            precondition(maxActors > 0, "a signal history must keep at least one actor")
            if actors.count > maxActors { evict(downTo: maxActors - maxActors / 10, at: latestActivity) }
        }
    }

    /// An empty history: every actor is new, no rate, no statistics.
    public init() {}

    /// The number of actors with a history.
    public var actorCount: Int { actors.count }

    /// Derives the signals of a mutation proposed by `actor` at `now`.
    ///
    /// Numeric values (`int`, `uint`, `double`) of the changes are read as doubles; the mutation
    /// should have been validated first (``PolicyEngine`` does this).
    public func signals(for mutation: Mutation, actor: Actor, in pack: PolicyPack, now: Timestamp) -> Signals {
        signals(for: mutation, actor: actor, resource: pack.compiled[mutation.resource], hours: pack.businessHours, now: now)
    }

    func signals(
        for mutation: Mutation, actor: Actor, resource: CompiledResource?, hours: BusinessHours?, now: Timestamp
    ) -> Signals {
        var result = Signals()
        // Reached through the index, the actor's history is read in place, not copied.
        var actorFields: NameTable<RunningStats>?
        if let i = actors.index(forKey: actor.id) {
            // One copy of the history (three references counted), not one per read.
            let history = actors.values[i]
            result.actorRate1m = history.lastMinute.count(at: now.seconds)
            result.actorRate1h = history.lastHour.count(at: now.seconds)
            // Absent for an actor known only by its submissions: a first time.
            actorFields = history.resources[mutation.resource]
        }
        result.firstTime = actorFields == nil
        if let resource {
            // The closures capture the changes alone: capturing the mutation copies all of it.
            let changes = mutation.changes
            // The resource's history read in place, not copied.
            resources.withElement(mutation.resource) { history in
                changes.forEachInPlace { key, valuePointer in
                    guard case .string(let name) = key.pointee else { return }
                    resource.fields.withCheck(name) { check in
                        let value = valuePointer.pointee
                        if check.field.trackNew {
                            let seen = history?.pointee.seen[name]?.contains(Self.seenKey(value)) ?? false
                            result.firstSeen[name] = !seen
                        }
                        guard check.isNumeric, let x = Self.number(value) else { return }
                        let z = actorFields?[name]?.zScore(x) ?? 0
                        result.zscores[name] = z
                        if check.isAmount {
                            result.amountZScore = z
                            if let history { result.resourceAmountZScore = history.pointee.fields[name]?.zScore(x) ?? 0 }
                        }
                    }
                }
            }
            if result.firstSeen.count < resource.trackedFields.count {
                for name in resource.trackedFields where result.firstSeen[name] == nil { result.firstSeen[name] = false }
            }
        }
        if let hours {
            result.offHours = !hours.contains(now)
        }
        return result
    }

    /// Counts one submission by `actorID` at `time` in its rates (`actor_rate_1m`,
    /// `actor_rate_1h`), whatever becomes of it: invalid, blocked, pending and approved ones alike.
    ///
    /// Call it for every submission after deriving that submission's signals, so that a decision
    /// sees the actor's earlier submissions but not its own. It adds nothing to the statistics:
    /// an actor known only by its submissions is still on a first time for every resource.
    public mutating func countSubmission(actorID: String, at time: Timestamp) {
        let seconds = time.seconds
        if let i = actors.index(forKey: actorID) {
            actors.values[i].countSubmission(at: seconds)
        } else {
            var history = ActorHistory()
            history.countSubmission(at: seconds)
            add(actorID, history, at: seconds)
        }
    }

    /// Adds an executed (approved) mutation to the statistics: the actor's and the resource's
    /// statistics of its numeric fields, and the values of its `track_new` fields. It does not
    /// count in the rates: ``countSubmission(actorID:at:)`` did when it was submitted.
    public mutating func record(_ mutation: Mutation, actor: Actor, in pack: PolicyPack, at time: Timestamp) {
        // The compiled resource (a reference) is what the closures capture, not the pack.
        record(mutation, actor: actor, resource: pack.compiled[mutation.resource], at: time)
    }

    /// ``record(_:actor:in:at:)`` with the mutation's compiled resource looked up already.
    mutating func record(_ mutation: Mutation, actor: Actor, resource: CompiledResource?, at time: Timestamp) {
        let seconds = time.seconds
        if let i = actors.index(forKey: actor.id) {
            actors.values[i].record(mutation, resource: resource, at: seconds)
        } else {
            var history = ActorHistory()
            history.record(mutation, resource: resource, at: seconds)
            add(actor.id, history, at: seconds)
        }
        resources.update(mutation.resource, default: ResourceHistory.init) { history in
            guard let resource else { return }
            mutation.changes.forEach { key, value in
                guard case .string(let name) = key, let check = resource.fields[name] else { return }
                if check.isNumeric, let x = Self.number(value) {
                    history.fields.update(name, default: RunningStats.init) { $0.add(x) }
                }
                if check.field.trackNew {
                    history.seen.update(name, default: { [] }) { _ = $0.insert(Self.seenKey(value)) }
                }
            }
        }
    }

    /// The key a value is remembered by: a string as itself, anything else as NUL + its canonical
    /// JSON (so the string "1" and the number 1 differ).
    private static func seenKey(_ value: Value) -> String {
        if case .string(let s) = value { return s }
        return "\u{0}" + CanonicalJSON.encode(value)
    }

    /// Forgets the actors with no submission counted and no mutation recorded at or after `time`
    /// (their next mutation counts as a first time again, their rates restart). The bound
    /// (``maxActors``) needs no call to this; it is for a caller that wants a shorter memory.
    public mutating func pruneActors(idleSince time: Timestamp) {
        actors = actors.filter { $0.value.lastActive >= time.seconds }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .double(let d): d
        case .int(let i): Double(i)
        case .uint(let u): Double(u)
        default: nil
        }
    }
}

extension SignalState.ActorHistory {
    /// Counts a submission in the rates.
    mutating func countSubmission(at seconds: Int64) {
        lastMinute.record(at: seconds)
        lastHour.record(at: seconds)
        lastActive = max(lastActive, seconds)
    }

    /// Adds the numeric fields of an executed mutation to the resource's statistics.
    mutating func record(_ mutation: Mutation, resource: CompiledResource?, at seconds: Int64) {
        lastActive = max(lastActive, seconds)
        resources.update(mutation.resource, default: NameTable.init) { fields in
            guard let resource else { return }
            mutation.changes.forEach { key, value in
                guard case .string(let name) = key, let check = resource.fields[name], check.isNumeric,
                    let x = SignalState.number(value)
                else { return }
                fields.update(name, default: RunningStats.init) { $0.add(x) }
            }
        }
    }
}
