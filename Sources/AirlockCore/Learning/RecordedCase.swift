import CEL

/// One past decision as the audit log keeps it — the mutation, the inputs the rules saw, the tier
/// and rules that decided it — and what became of the mutation afterwards: what replay decides
/// again and what insights count.
public struct RecordedCase: Sendable {
    /// What people and execution made of the decision.
    public struct Outcome: Sendable, Hashable {
        /// A person's review approved it.
        public var approvedByPerson = false
        /// A person's review rejected it (before it ran, or — for a parallel review — after).
        public var rejectedByPerson = false
        /// It was rolled back after it ran.
        public var rolledBack = false
        /// Seconds from its review's opening to a person's decision, when a person decided.
        public var reviewSeconds: Double?
        /// When its review opened (seconds since the epoch), if one did.
        public var reviewOpenedAt: Double?
        /// Its review escalated at least once.
        public var escalated = false
        /// It was executed (its change applied).
        public var executed = false
        /// Reading the change back found something else than the decision allowed.
        public var verificationMismatch = false

        public init() {}
    }

    /// The mutation's id.
    public var mutationID: String
    /// The mutation as submitted, with the target's values read at triage as `before`.
    public var mutation: Mutation
    /// The actor and system state the rules saw.
    public var inputs: DecisionInputs
    /// The signals the rules saw.
    public var signals: Signals
    /// When it was decided (the rules' `now`).
    public var decidedAt: Timestamp
    /// The tier routing acted on.
    public var tier: Tier
    /// The rules that matched, by name.
    public var rules: [String]
    /// The matched rules that named the decision's tier: the ones that put it where it went.
    public var decidingRules: [String] = []
    /// The policy version that decided it.
    public var policyVersion: String
    /// What became of it.
    public var outcome = Outcome()

    public init(
        mutationID: String, mutation: Mutation, inputs: DecisionInputs, signals: Signals, decidedAt: Timestamp, tier: Tier,
        rules: [String], policyVersion: String
    ) {
        self.mutationID = mutationID
        self.mutation = mutation
        self.inputs = inputs
        self.signals = signals
        self.decidedAt = decidedAt
        self.tier = tier
        self.rules = rules
        self.policyVersion = policyVersion
    }

    /// The payloads one case is read from: the `submitted` and `decided` records of a mutation.
    public struct Payloads: Sendable {
        public var mutationID: String
        public var submitted: String
        public var decided: String

        public init(mutationID: String, submitted: String, decided: String) {
            self.mutationID = mutationID
            self.submitted = submitted
            self.decided = decided
        }
    }

    /// Reads many cases, split over `tasks` concurrent tasks (reading is independent per case);
    /// the results in the order of `payloads`. Each is read as ``init(mutationID:submitted:decided:)``
    /// reads it, the common ones by a faster path (``Reader``).
    public static func read(_ payloads: [Payloads], tasks: Int) async -> [Result<RecordedCase, ValidationFailure>] {
        let slices = await Concurrently.mapSlices(payloads, tasks: tasks) { slice in
            var reader = Reader()
            return slice.map { reader.read($0) }
        }
        return Array(slices.joined())
    }

    /// Reads a case from the payloads of its `submitted` record (the mutation document) and its
    /// `decided` record (the decision with its `inputs`). Throws, naming what is missing, for a
    /// decision recorded before its inputs were kept or a payload that does not read.
    public init(mutationID: String, submitted: String, decided: String) throws(ValidationFailure) {
        let document: Value
        let decision: Value
        do {
            document = try Value(json: submitted)
            decision = try Value(json: decided)
        } catch {
            throw ValidationFailure(path: "payload", message: "does not read as JSON: \(error)")
        }
        guard case .map(let map) = decision else { throw ValidationFailure(path: "decided", message: "is not an object") }
        let inputs = try DecisionInputs(recordedDecision: decision)
        var mutation = try Mutation(jsonValue: document)
        mutation.before = inputs.before
        guard case .string(let tierText)? = map["routed_tier"] ?? map["tier"], let tier = Tier(rawValue: tierText) else {
            throw ValidationFailure(path: "decided.routed_tier", message: "is missing or not a tier")
        }
        guard case .string(let timeText)? = map["evaluated_at"], let time = RFC3339.parse(timeText) else {
            throw ValidationFailure(path: "decided.evaluated_at", message: "is missing or not an RFC 3339 time")
        }
        let signals = try map["signals"].map { value throws(ValidationFailure) in try Signals(jsonValue: value) } ?? .neutral
        var rules: [String] = []
        var named: [(rule: String, tier: Tier)] = []
        if case .list(let reasons)? = map["reasons"] {
            for case .map(let reason) in reasons {
                if case .bool(true)? = reason["failed"] { continue }
                guard case .string(let rule)? = reason["rule"] else { continue }
                rules.append(rule)
                if case .string(let text)? = reason["tier"], let ruleTier = Tier(rawValue: text) { named.append((rule, ruleTier)) }
            }
        }
        let policyTier: Tier? = if case .string(let text)? = map["tier"] { Tier(rawValue: text) } else { nil }
        var version = ""
        if case .map(let policy)? = map["policy"], case .string(let text)? = policy["version"] { version = text }
        self.init(
            mutationID: mutationID, mutation: mutation, inputs: inputs, signals: signals, decidedAt: time, tier: tier,
            rules: rules, policyVersion: version)
        decidingRules = named.filter { $0.tier == (policyTier ?? tier) }.map(\.rule)
    }
}
