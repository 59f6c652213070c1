import CEL

/// Recorded decisions read without building a JSON value of each whole decision: most of a
/// `decided` payload is what replay does not read (each reason's message and the values its rule
/// saw, the approvals, the data classes), so its members are skimmed (``JSONSkim``), only the ones
/// replay reads become values, and an actor whose JSON text was seen before is reused.
///
/// It reads what the gateway writes and gives the same case as
/// ``RecordedCase/init(mutationID:submitted:decided:)``; anything else (an unknown or repeated
/// key, an escape where a name is read, a value of another type) goes to that general path, which
/// reads it or says what is wrong.
extension RecordedCase {
    /// Reads the cases of one task's payloads, remembering the actors it has seen.
    struct Reader {
        private var actors = JSONSkim.Memo<Actor>()
        /// System states repeat as much as actors (a few queue depths, one rollback rate).
        private var systems = JSONSkim.Memo<SystemState>()

        init() {}

        mutating func read(_ payload: Payloads) -> Result<RecordedCase, ValidationFailure> {
            if let fast = fastCase(payload) { return .success(fast) }
            return Result { () throws(ValidationFailure) in
                try RecordedCase(mutationID: payload.mutationID, submitted: payload.submitted, decided: payload.decided)
            }
        }

        /// The case, or `nil` when the general path must read it.
        mutating func fastCase(_ payload: Payloads) -> RecordedCase? {
            var submitted = payload.submitted
            guard var mutation = submitted.withUTF8({ StreamParser.plainMutation($0, 0..<$0.count) }) else { return nil }
            var decided = payload.decided
            guard let read = decided.withUTF8({ decision($0) }) else { return nil }
            mutation.before = read.inputs.before
            var recorded = RecordedCase(
                mutationID: payload.mutationID, mutation: mutation, inputs: read.inputs, signals: read.signals,
                decidedAt: read.decidedAt, tier: read.tier, rules: read.rules, policyVersion: read.policyVersion)
            recorded.decidingRules = read.named.filter { $0.tier == (read.policyTier ?? read.tier) }.map(\.rule)
            return recorded
        }

        private struct Decided {
            var inputs: DecisionInputs
            var signals: Signals
            var decidedAt: Timestamp
            var tier: Tier
            var policyTier: Tier?
            var rules: [String]
            var named: [(rule: String, tier: Tier)]
            var policyVersion: String
        }

        private enum Member: UInt16 {
            case tier = 1, routedTier = 2, score = 4, reasons = 8, approvals = 16, requirement = 32, data = 64
            case policy = 128, evaluatedAt = 256, signals = 512, inputs = 1024

            static func named(_ b: UnsafeBufferPointer<UInt8>, _ key: Range<Int>) -> Member? {
                switch key.count {
                case 4 where JSONSkim.matches(b, key, "tier"): .tier
                case 4 where JSONSkim.matches(b, key, "data"): .data
                case 5 where JSONSkim.matches(b, key, "score"): .score
                case 6 where JSONSkim.matches(b, key, "policy"): .policy
                case 6 where JSONSkim.matches(b, key, "inputs"): .inputs
                case 7 where JSONSkim.matches(b, key, "reasons"): .reasons
                case 7 where JSONSkim.matches(b, key, "signals"): .signals
                case 9 where JSONSkim.matches(b, key, "approvals"): .approvals
                case 11 where JSONSkim.matches(b, key, "routed_tier"): .routedTier
                case 11 where JSONSkim.matches(b, key, "requirement"): .requirement
                case 12 where JSONSkim.matches(b, key, "evaluated_at"): .evaluatedAt
                default: nil
                }
            }
        }

        private mutating func decision(_ b: UnsafeBufferPointer<UInt8>) -> Decided? {
            var seen: UInt16 = 0
            var tierText: String?
            var routedText: String?
            var decidedAt: Timestamp?
            var signals = Signals.neutral
            var rules: [String] = []
            var named: [(rule: String, tier: Tier)] = []
            var version = ""
            var inputs: DecisionInputs?
            let whole = JSONSkim.forEachMember(b, 0..<b.count) { key, value in
                guard let member = Member.named(b, key), seen & member.rawValue == 0 else { return false }
                seen |= member.rawValue
                switch member {
                case .tier:
                    tierText = JSONSkim.plainString(b, value)
                    return tierText != nil
                case .routedTier:
                    routedText = JSONSkim.plainString(b, value)
                    return routedText != nil
                case .evaluatedAt:
                    decidedAt = JSONSkim.time(b, value)
                    return decidedAt != nil
                case .signals:
                    if let read = Self.signals(b, value) {
                        signals = read
                    } else {
                        guard let read = JSONSkim.value(b, value), let parsed = try? Signals(jsonValue: read) else { return false }
                        signals = parsed
                    }
                case .reasons:
                    return Self.reasons(b, value, rules: &rules, named: &named)
                case .policy:
                    return JSONSkim.forEachMember(b, value) { key, value in
                        if JSONSkim.matches(b, key, "name") { return true }
                        guard JSONSkim.matches(b, key, "version"), let text = JSONSkim.plainString(b, value) else { return false }
                        version = text
                        return true
                    }
                case .inputs:
                    inputs = recordedInputs(b, value)
                    return inputs != nil
                case .score, .approvals, .requirement, .data:
                    break
                }
                return true
            }
            guard whole, let inputs, let decidedAt, let text = routedText ?? tierText, let tier = Tier(rawValue: text) else {
                return nil
            }
            return Decided(
                inputs: inputs, signals: signals, decidedAt: decidedAt, tier: tier, policyTier: tierText.flatMap(Tier.init),
                rules: rules, named: named, policyVersion: version)
        }

        /// The rules of the reasons that matched (not those that failed to evaluate), and the
        /// tiers they named.
        private static func reasons(
            _ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, rules: inout [String], named: inout [(rule: String, tier: Tier)]
        ) -> Bool {
            JSONSkim.forEachElement(b, range) { element in
                var rule: String?
                var tierText: String?
                var failed = false
                var seen: UInt8 = 0
                let read = JSONSkim.forEachMember(b, element) { key, value in
                    let bit: UInt8
                    switch key.count {
                    case 4 where JSONSkim.matches(b, key, "rule"):
                        bit = 1
                        rule = JSONSkim.plainString(b, value)
                        if rule == nil { return false }
                    case 4 where JSONSkim.matches(b, key, "tier"):
                        bit = 2
                        tierText = JSONSkim.plainString(b, value)
                        if tierText == nil { return false }
                    case 6 where JSONSkim.matches(b, key, "failed"):
                        bit = 4
                        if JSONSkim.matches(b, value, "true") {
                            failed = true
                        } else if !JSONSkim.matches(b, value, "false") {
                            return false
                        }
                    case 7 where JSONSkim.matches(b, key, "message"): bit = 8
                    case 6 where JSONSkim.matches(b, key, "values"): bit = 16
                    case 5 where JSONSkim.matches(b, key, "score"): bit = 32
                    default: return false
                    }
                    guard seen & bit == 0 else { return false }
                    seen |= bit
                    return true
                }
                guard read else { return false }
                if failed { return true }
                guard let rule else { return true }
                rules.append(rule)
                if let tierText, let tier = Tier(rawValue: tierText) { named.append((rule, tier)) }
                return true
            }
        }

        /// The signals of a decision as the gateway writes them, as ``Signals/init(jsonValue:base:)``
        /// reads them (from `.neutral`); `nil` for anything else (an unknown, repeated or null
        /// member, a value of another type, a number that is not whole where a count is read),
        /// which that reader then reads or refuses.
        static func signals(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Signals? {
            var signals = Signals.neutral
            var seen: UInt8 = 0
            let read = JSONSkim.forEachMember(b, range) { key, value in
                guard let member = SignalsMember.named(b, key), seen & member.rawValue == 0 else { return false }
                seen |= member.rawValue
                switch member {
                case .amountZScore:
                    guard let x = JSONSkim.number(b, value) else { return false }
                    signals.amountZScore = x
                case .resourceAmountZScore:
                    guard let x = JSONSkim.number(b, value) else { return false }
                    signals.resourceAmountZScore = x
                case .actorRate1m:
                    guard let n = JSONSkim.int(b, value) else { return false }
                    signals.actorRate1m = n
                case .actorRate1h:
                    guard let n = JSONSkim.int(b, value) else { return false }
                    signals.actorRate1h = n
                case .firstTime:
                    guard let flag = JSONSkim.bool(b, value) else { return false }
                    signals.firstTime = flag
                case .offHours:
                    guard let flag = JSONSkim.bool(b, value) else { return false }
                    signals.offHours = flag
                case .zscores:
                    return JSONSkim.forEachMember(b, value) { field, item in
                        guard let name = JSONSkim.plainText(b, field), signals.zscores[name] == nil,
                            let z = JSONSkim.number(b, item)
                        else { return false }
                        signals.zscores[name] = z
                        return true
                    }
                case .firstSeen:
                    return JSONSkim.forEachMember(b, value) { field, item in
                        guard let name = JSONSkim.plainText(b, field), signals.firstSeen[name] == nil,
                            let flag = JSONSkim.bool(b, item)
                        else { return false }
                        signals.firstSeen[name] = flag
                        return true
                    }
                }
                return true
            }
            return read ? signals : nil
        }

        private enum SignalsMember: UInt8 {
            case amountZScore = 1, resourceAmountZScore = 2, actorRate1m = 4, actorRate1h = 8, firstTime = 16
            case offHours = 32, zscores = 64, firstSeen = 128

            static func named(_ b: UnsafeBufferPointer<UInt8>, _ key: Range<Int>) -> SignalsMember? {
                switch key.count {
                case 7 where JSONSkim.matches(b, key, "zscores"): .zscores
                case 9 where JSONSkim.matches(b, key, "off_hours"): .offHours
                case 10 where JSONSkim.matches(b, key, "first_time"): .firstTime
                case 10 where JSONSkim.matches(b, key, "first_seen"): .firstSeen
                case 13 where JSONSkim.matches(b, key, "amount_zscore"): .amountZScore
                case 13 where JSONSkim.matches(b, key, "actor_rate_1m"): .actorRate1m
                case 13 where JSONSkim.matches(b, key, "actor_rate_1h"): .actorRate1h
                case 22 where JSONSkim.matches(b, key, "resource_amount_zscore"): .resourceAmountZScore
                default: nil
                }
            }
        }

        /// The decision's `inputs`, as ``DecisionInputs/init(recordedDecision:)`` reads them.
        private mutating func recordedInputs(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> DecisionInputs? {
            var seen: UInt8 = 0
            var actor: Actor?
            var system = SystemState()
            var before: CELMap?
            var micros: Int?
            let read = JSONSkim.forEachMember(b, range) { key, value in
                let bit: UInt8
                switch key.count {
                case 5 where JSONSkim.matches(b, key, "actor"):
                    bit = 1
                    actor = actors.value(b, value) { try? Actor(jsonValue: $0) }
                    if actor == nil { return false }
                case 6 where JSONSkim.matches(b, key, "system"):
                    bit = 2
                    let read = systems.value(b, value) { value in
                        guard case .map(let map) = value else { return nil }
                        return DecisionInputs.recordedSystem(map)
                    }
                    guard let read else { return false }
                    system = read
                case 6 where JSONSkim.matches(b, key, "before"):
                    bit = 4
                    guard case .map(let map)? = JSONSkim.value(b, value) else { return false }
                    before = map
                case 11 where JSONSkim.matches(b, key, "decision_us"):
                    bit = 8
                    guard let number = JSONSkim.value(b, value).flatMap(SignalState.number) else { return false }
                    micros = DecisionInputs.whole(number)
                default: return false
                }
                guard seen & bit == 0 else { return false }
                seen |= bit
                return true
            }
            guard read, let actor else { return nil }
            return DecisionInputs(actor: actor, system: system, before: before, decisionMicroseconds: micros)
        }
    }
}
