import CEL

extension PolicyEngine {
    /// The variables of one decision, built once and shared by every rule. Only the fields the
    /// resource's rules read are built (``ActivationNeeds``), with the keys of the resource's
    /// templates; the bit order follows ``ActivationNeeds/fields``.
    func makeActivation(
        _ mutation: Mutation, actor: Actor, classification: Classification, signals: Signals, system: SystemState,
        now: Timestamp, resource: CompiledResource, everything: Bool
    ) -> Activation {
        if everything {
            return makeFullActivation(
                mutation, actor: actor, classification: classification, signals: signals, system: system, now: now)
        }
        // The maps hold exactly the needed fields, in ``ActivationNeeds/fields`` order: built
        // from the templates' keys, each value made once and moved in.
        let needs = resource.needs
        var mutationMap: CELMap?
        if needs.mutation != 0 {
            let fields = resource.mutationFields
            mutationMap = CELMap(keysOf: resource.mutationTemplate) { i in
                switch fields[i] {
                case 0: .string(mutation.resource)
                case 1: .string(mutation.operation.rawValue)
                case 2: mutation.target.map(Value.string) ?? .null
                case 3: .list((mutation.targets ?? mutation.target.map { [$0] } ?? []).map(Value.string))
                case 4: .map(mutation.changes)
                case 5: .map(mutation.before ?? CELMap())
                case 6: .map(mutation.context ?? CELMap())
                default: mutation.idempotencyKey.map(Value.string) ?? .null
                }
            }
        }
        var dataMap: CELMap?
        if needs.data != 0 {
            let fields = resource.dataFields
            let set = classification.classSet
            dataMap = CELMap(keysOf: resource.dataTemplate) { i in
                switch fields[i] {
                case 0: set?.classesValue ?? .list(classification.classes.map(Value.string))
                case 1: set?.maxClassValue ?? .string(classification.maxClass ?? "")
                case 2: .int(Int64(classification.maxRank))
                case 3: .int(Int64(classification.records))
                default: .bool(classification.reversible)
                }
            }
        }
        var signalsMap: CELMap?
        if needs.signals != 0 {
            let fields = resource.signalsFields
            signalsMap = CELMap(keysOf: resource.signalsTemplate) { i in
                switch fields[i] {
                case 0: .double(signals.amountZScore)
                case 1: .double(signals.resourceAmountZScore)
                case 2: .map(Self.sortedMap(signals.zscores, Value.double))
                case 3: .int(Int64(signals.actorRate1m))
                case 4: .int(Int64(signals.actorRate1h))
                case 5: .bool(signals.firstTime)
                case 6: .map(Self.sortedMap(signals.firstSeen, Value.bool))
                default: .bool(signals.offHours)
                }
            }
        }
        // Actors and system states carry their value, built when they were made.
        let slots = resource.activationSlots
        let template = resource.activationTemplate
        return Activation(namesOf: template) { i in
            switch slots[i] {
            case .mutation: mutationMap.map(Value.map) ?? .null
            case .actor: actor.jsonValue
            case .data: dataMap.map(Value.map) ?? .null
            case .signals: signalsMap.map(Value.map) ?? .null
            case .system: system.jsonValue
            case .now: .timestamp(now)
            case .constant: template.value(at: i)
            }
        }
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
