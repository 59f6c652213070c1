import CEL

extension PolicyEngine {
    /// The variables of one decision, built once and shared by every rule. Only the fields the
    /// resource's rules read are built (``ActivationNeeds``), into copies of the resource's
    /// templates; the bit order follows ``ActivationNeeds/fields``.
    func makeActivation(
        _ mutation: Mutation, actor: Actor, classification: Classification, signals: Signals, system: SystemState,
        now: Timestamp, resource: CompiledResource, everything: Bool
    ) -> Activation {
        if everything {
            return makeFullActivation(
                mutation, actor: actor, classification: classification, signals: signals, system: system, now: now)
        }
        let needs = resource.needs
        let slots = resource.activationSlots
        var activation = resource.activationTemplate
        // The templates hold exactly the needed fields, in ``ActivationNeeds/fields`` order: each
        // needed field is filled at the next position.
        if needs.mutation != 0 {
            let n = needs.mutation
            var m = resource.mutationTemplate
            var at = 0
            func put(_ value: Value) {
                m.setValue(value, at: at)
                at += 1
            }
            if n & 1 != 0 { put(.string(mutation.resource)) }
            if n & 2 != 0 { put(.string(mutation.operation.rawValue)) }
            if n & 4 != 0 { put(mutation.target.map(Value.string) ?? .null) }
            if n & 8 != 0 { put(.list((mutation.targets ?? mutation.target.map { [$0] } ?? []).map(Value.string))) }
            if n & 16 != 0 { put(.map(mutation.changes)) }
            if n & 32 != 0 { put(.map(mutation.before ?? CELMap())) }
            if n & 64 != 0 { put(.map(mutation.context ?? CELMap())) }
            if n & 128 != 0 { put(mutation.idempotencyKey.map(Value.string) ?? .null) }
            activation.setValue(.map(m), at: slots.mutation)
        }
        // Actors and system states carry their value, built when they were made.
        if needs.actor != 0 { activation.setValue(actor.jsonValue, at: slots.actor) }
        if needs.data != 0 {
            let n = needs.data
            var d = resource.dataTemplate
            var at = 0
            func put(_ value: Value) {
                d.setValue(value, at: at)
                at += 1
            }
            let set = classification.classSet
            if n & 1 != 0 { put(set?.classesValue ?? .list(classification.classes.map(Value.string))) }
            if n & 2 != 0 { put(set?.maxClassValue ?? .string(classification.maxClass ?? "")) }
            if n & 4 != 0 { put(.int(Int64(classification.maxRank))) }
            if n & 8 != 0 { put(.int(Int64(classification.records))) }
            if n & 16 != 0 { put(.bool(classification.reversible)) }
            activation.setValue(.map(d), at: slots.data)
        }
        if needs.signals != 0 {
            let n = needs.signals
            var s = resource.signalsTemplate
            var at = 0
            func put(_ value: Value) {
                s.setValue(value, at: at)
                at += 1
            }
            if n & 1 != 0 { put(.double(signals.amountZScore)) }
            if n & 2 != 0 { put(.double(signals.resourceAmountZScore)) }
            if n & 4 != 0 { put(.map(Self.sortedMap(signals.zscores, Value.double))) }
            if n & 8 != 0 { put(.int(Int64(signals.actorRate1m))) }
            if n & 16 != 0 { put(.int(Int64(signals.actorRate1h))) }
            if n & 32 != 0 { put(.bool(signals.firstTime)) }
            if n & 64 != 0 { put(.map(Self.sortedMap(signals.firstSeen, Value.bool))) }
            if n & 128 != 0 { put(.bool(signals.offHours)) }
            activation.setValue(.map(s), at: slots.signals)
        }
        if needs.system != 0 { activation.setValue(system.jsonValue, at: slots.system) }
        if needs.now { activation.setValue(.timestamp(now), at: slots.now) }
        return activation
    }

    /// Every variable in full, for explanations (which show every value a condition read).
    private func makeFullActivation(
        _ mutation: Mutation, actor: Actor, classification: Classification, signals: Signals, system: SystemState,
        now: Timestamp
    ) -> Activation {
        var m = CELMap()
        m["resource"] = .string(mutation.resource)
        m["operation"] = .string(mutation.operation.rawValue)
        m["target"] = mutation.target.map(Value.string) ?? .null
        m["targets"] = .list((mutation.targets ?? mutation.target.map { [$0] } ?? []).map(Value.string))
        m["changes"] = .map(mutation.changes)
        m["before"] = .map(mutation.before ?? CELMap())
        m["context"] = .map(mutation.context ?? CELMap())
        m["idempotency_key"] = mutation.idempotencyKey.map(Value.string) ?? .null
        var d = CELMap()
        d["classes"] = .list(classification.classes.map(Value.string))
        d["max_class"] = .string(classification.maxClass ?? "")
        d["max_rank"] = .int(Int64(classification.maxRank))
        d["records"] = .int(Int64(classification.records))
        d["reversible"] = .bool(classification.reversible)
        var activation = Activation()
        activation["mutation"] = .map(m)
        activation["actor"] = actor.jsonValue
        activation["data"] = .map(d)
        activation["signals"] = signals.jsonValue
        activation["system"] = system.jsonValue
        activation["lists"] = pack.listsValue
        activation["classes"] = pack.classesValue
        activation["now"] = .timestamp(now)
        return activation
    }

    /// Named values as a map, in name order.
    static func sortedMap<T>(_ values: NamedValues<T>, _ wrap: (T) -> Value) -> CELMap {
        var map = CELMap()
        values.forEach { key, value in map[key] = wrap(value) }
        return map
    }
}
