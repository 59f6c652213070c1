import CEL

/// The history signals are derived from: per actor, its recent rate and, per resource, running
/// statistics of every numeric field; per resource, statistics over all actors and the values seen
/// of fields marked `track_new`.
///
/// A plain value kept by the caller (the engine; the store persists it). Deriving signals does not
/// change it; call ``record(_:actor:in:at:)`` for each mutation that should count as history.
public struct SignalState: Sendable, Codable {
    struct ActorHistory: Sendable, Codable {
        var lastMinute = RateWindow.minute()
        var lastHour = RateWindow.hour()
        /// Per resource touched, per numeric field.
        var resources = NameTable<NameTable<RunningStats>>()
    }

    struct ResourceHistory: Sendable, Codable {
        var fields = NameTable<RunningStats>()
        /// Per `track_new` field, the values seen (as canonical JSON text).
        var seen = NameTable<Set<String>>()
    }

    // Resources and fields are few and read on every decision: kept in name tables (no string
    // hashing); actors are many and keyed by a dictionary. Saved as nested JSON objects.
    private var actors: [String: ActorHistory] = [:]
    private var resources = NameTable<ResourceHistory>()

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

    /// Adds a mutation to the history: the actor's rate, the actor and resource statistics of its
    /// numeric fields, and the values of its `track_new` fields.
    public mutating func record(_ mutation: Mutation, actor: Actor, in pack: PolicyPack, at time: Timestamp) {
        // The compiled resource (a reference) is what the closures capture, not the pack.
        let resource = pack.compiled[mutation.resource]
        actors[actor.id, default: ActorHistory()].record(mutation, resource: resource, at: time)
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

    /// Forgets the rate windows and statistics of actors idle since before `time` (their next
    /// mutation counts as a first time again).
    public mutating func pruneActors(idleSince time: Timestamp) {
        actors = actors.filter { entry in
            guard let start = entry.value.lastHour.newestBucketStart else { return false }
            return start + entry.value.lastHour.bucketSeconds > time.seconds
        }
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
    /// Counts the mutation in the rates and adds its numeric fields to the resource's statistics.
    mutating func record(_ mutation: Mutation, resource: CompiledResource?, at time: Timestamp) {
        lastMinute.record(at: time.seconds)
        lastHour.record(at: time.seconds)
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
