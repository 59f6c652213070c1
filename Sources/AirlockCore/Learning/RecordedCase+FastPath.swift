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
            // Walked once: each member is read where it lies, and only what replay ignores is
            // skipped.
            let end = JSONSkim.walkObject(b, JSONSkim.skipSpace(b, 0), within: b.count) { key, start in
                guard let member = Member.named(b, key), seen & member.rawValue == 0 else { return nil }
                seen |= member.rawValue
                switch member {
                case .tier:
                    guard let end = JSONSkim.skipValue(b, start) else { return nil }
                    tierText = JSONSkim.plainString(b, start..<end)
                    return tierText == nil ? nil : end
                case .routedTier:
                    guard let end = JSONSkim.skipValue(b, start) else { return nil }
                    routedText = JSONSkim.plainString(b, start..<end)
                    return routedText == nil ? nil : end
                case .evaluatedAt:
                    guard let end = JSONSkim.skipValue(b, start) else { return nil }
                    decidedAt = JSONSkim.time(b, start..<end)
                    return decidedAt == nil ? nil : end
                case .signals:
                    if let (read, end) = Self.signals(b, from: start) {
                        signals = read
                        return end
                    }
                    guard let end = JSONSkim.skipValue(b, start), let read = JSONSkim.value(b, start..<end),
                        let parsed = try? Signals(jsonValue: read)
                    else { return nil }
                    signals = parsed
                    return end
                case .reasons:
                    return Self.reasons(b, from: start, rules: &rules, named: &named)
                case .policy:
                    return JSONSkim.walkObject(b, start, within: b.count) { key, start in
                        guard let end = JSONSkim.skipValue(b, start) else { return nil }
                        if JSONSkim.matches(b, key, "name") { return end }
                        guard JSONSkim.matches(b, key, "version"), let text = JSONSkim.plainString(b, start..<end) else { return nil }
                        version = text
                        return end
                    }
                case .inputs:
                    guard let (read, end) = recordedInputs(b, from: start) else { return nil }
                    inputs = read
                    return end
                case .score, .approvals, .requirement, .data:
                    return JSONSkim.skipValue(b, start)
                }
            }
            guard let end, JSONSkim.skipSpace(b, end) >= b.count, let inputs, let decidedAt, let text = routedText ?? tierText,
                let tier = Tier(rawValue: text)
            else {
                return nil
            }
            return Decided(
                inputs: inputs, signals: signals, decidedAt: decidedAt, tier: tier, policyTier: tierText.flatMap(Tier.init),
                rules: rules, named: named, policyVersion: version)
        }

        /// The rules of the reasons that matched (not those that failed to evaluate), and the
        /// tiers they named; where the list ends.
        private static func reasons(
            _ b: UnsafeBufferPointer<UInt8>, from start: Int, rules: inout [String], named: inout [(rule: String, tier: Tier)]
        ) -> Int? {
            JSONSkim.walkList(b, start, within: b.count) { element in
                var rule: String?
                var tierText: String?
                var failed = false
                var seen: UInt8 = 0
                let end = JSONSkim.walkObject(b, element, within: b.count) { key, start in
                    let bit: UInt8
                    guard let end = JSONSkim.skipValue(b, start) else { return nil }
                    let value = start..<end
                    switch key.count {
                    case 4 where JSONSkim.matches(b, key, "rule"):
                        bit = 1
                        rule = JSONSkim.plainString(b, value)
                        if rule == nil { return nil }
                    case 4 where JSONSkim.matches(b, key, "tier"):
                        bit = 2
                        tierText = JSONSkim.plainString(b, value)
                        if tierText == nil { return nil }
                    case 6 where JSONSkim.matches(b, key, "failed"):
                        bit = 4
                        guard let flag = JSONSkim.bool(b, value) else { return nil }
                        failed = flag
                    case 7 where JSONSkim.matches(b, key, "message"): bit = 8
                    case 6 where JSONSkim.matches(b, key, "values"): bit = 16
                    case 5 where JSONSkim.matches(b, key, "score"): bit = 32
                    default: return nil
                    }
                    guard seen & bit == 0 else { return nil }
                    seen |= bit
                    return end
                }
                guard let end else { return nil }
                if failed { return end }
                guard let rule else { return end }
                rules.append(rule)
                if let tierText, let tier = Tier(rawValue: tierText) { named.append((rule, tier)) }
                return end
            }
        }

        /// The signals object of a decision whose `{` is at `start`, as the gateway writes it, read
        /// as ``Signals/init(jsonValue:base:)`` reads it (from `.neutral`), and where it ends; `nil`
        /// for anything else (an unknown, repeated or null member, a value of another type, a
        /// number that is not whole where a count is read), which that reader then reads or refuses.
        static func signals(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> (Signals, end: Int)? {
            var signals = Signals.neutral
            var seen: UInt8 = 0
            let end = JSONSkim.walkObject(b, start, within: b.count) { key, start in
                guard let member = SignalsMember.named(b, key), seen & member.rawValue == 0 else { return nil }
                seen |= member.rawValue
                switch member {
                case .zscores:
                    return JSONSkim.walkObject(b, start, within: b.count) { field, start in
                        guard let name = JSONSkim.plainText(b, field), signals.zscores[name] == nil,
                            let end = JSONSkim.skipValue(b, start), let z = JSONSkim.number(b, start..<end)
                        else { return nil }
                        signals.zscores[name] = z
                        return end
                    }
                case .firstSeen:
                    return JSONSkim.walkObject(b, start, within: b.count) { field, start in
                        guard let name = JSONSkim.plainText(b, field), signals.firstSeen[name] == nil,
                            let end = JSONSkim.skipValue(b, start), let flag = JSONSkim.bool(b, start..<end)
                        else { return nil }
                        signals.firstSeen[name] = flag
                        return end
                    }
                default:
                    break
                }
                guard let end = JSONSkim.skipValue(b, start) else { return nil }
                let value = start..<end
                switch member {
                case .amountZScore:
                    guard let x = JSONSkim.number(b, value) else { return nil }
                    signals.amountZScore = x
                case .resourceAmountZScore:
                    guard let x = JSONSkim.number(b, value) else { return nil }
                    signals.resourceAmountZScore = x
                case .actorRate1m:
                    guard let n = JSONSkim.int(b, value) else { return nil }
                    signals.actorRate1m = n
                case .actorRate1h:
                    guard let n = JSONSkim.int(b, value) else { return nil }
                    signals.actorRate1h = n
                case .firstTime:
                    guard let flag = JSONSkim.bool(b, value) else { return nil }
                    signals.firstTime = flag
                case .offHours:
                    guard let flag = JSONSkim.bool(b, value) else { return nil }
                    signals.offHours = flag
                case .zscores, .firstSeen:
                    return nil
                }
                return end
            }
            guard let end else { return nil }
            return (signals, end)
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

        /// The decision's `inputs` whose `{` is at `start`, as ``DecisionInputs/init(recordedDecision:)``
        /// reads them, and where they end.
        private mutating func recordedInputs(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> (DecisionInputs, end: Int)? {
            var seen: UInt8 = 0
            var actor: Actor?
            var system: SystemState?
            var before: CELMap?
            var micros: Int?
            let end = JSONSkim.walkObject(b, start, within: b.count) { key, start in
                if key.count == 6, JSONSkim.matches(b, key, "before") {
                    // Parsed where it lies, without finding its end first.
                    // Inside the decision and its inputs.
                    guard seen & 4 == 0, let (read, end) = JSONSkim.value(b, from: start, enclosedBy: 2),
                        case .map(let map) = read
                    else {
                        return nil
                    }
                    seen |= 4
                    before = map
                    return end
                }
                guard let end = JSONSkim.skipValue(b, start) else { return nil }
                let value = start..<end
                let bit: UInt8
                switch key.count {
                case 5 where JSONSkim.matches(b, key, "actor"):
                    bit = 1
                    actor = actors.value(b, value) { try? Actor(jsonValue: $0) }
                    if actor == nil { return nil }
                case 6 where JSONSkim.matches(b, key, "system"):
                    bit = 2
                    system = systems.value(b, value) { value in
                        guard case .map(let map) = value else { return nil }
                        return DecisionInputs.recordedSystem(map)
                    }
                    if system == nil { return nil }
                case 11 where JSONSkim.matches(b, key, "decision_us"):
                    bit = 8
                    guard let number = JSONSkim.number(b, value) else { return nil }
                    micros = DecisionInputs.whole(number)
                default: return nil
                }
                guard seen & bit == 0 else { return nil }
                seen |= bit
                return end
            }
            guard let end, let actor else { return nil }
            return (DecisionInputs(actor: actor, system: system ?? SystemState(), before: before, decisionMicroseconds: micros), end)
        }
    }
}
