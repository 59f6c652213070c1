import CEL

/// What a candidate pack would have decided for past decisions, compared with what was decided:
/// the result of ``Replay/run(_:candidate:)``.
public struct ReplayReport: Sendable {
    /// One decision the candidate changes.
    public struct Change: Sendable {
        public var mutationID: String
        public var resource: String
        /// The tier routing acted on, then.
        public var old: Tier
        /// The tier routing would act on under the candidate.
        public var new: Tier
        /// Rules that match under the candidate and did not then.
        public var rulesAdded: [String]
        /// Rules that matched then and do not under the candidate.
        public var rulesRemoved: [String]
        /// When no rule was added or removed: the rules that matched both times and named a tier
        /// then or now (whose tier or score the candidate changed, as far as a decision shows),
        /// or every rule that matched both times when none named one. Empty otherwise.
        public var rulesChanged: [String] = []
        /// What became of the mutation.
        public var outcome: RecordedCase.Outcome
    }

    /// How the changes divide among rules: the decisions a rule newly matches or no longer
    /// matches, among those whose tier changed.
    public struct RuleShift: Sendable, Hashable {
        public var newlyMatched = 0
        public var noLongerMatched = 0
        /// Decisions whose tier changed with this rule matching both times (``Change/rulesChanged``).
        public var matchedBoth = 0
    }

    /// The candidate's name and version.
    public var candidateName: String
    public var candidateVersion: String
    /// Decisions decided again.
    public var replayed = 0
    /// Tiers then (outer key) against tiers under the candidate (inner key).
    public var confusion: [Tier: [Tier: Int]] = [:]
    /// Every decision whose tier changes, in the order replayed.
    public var changes: [Change] = []
    /// Per rule, its part in the changes.
    public var rules: [String: RuleShift] = [:]
    /// Mutations a person rejected that the candidate would have let run before anyone looked:
    /// its tier is low, or medium where the decision then made it wait (high or block).
    public var missedRejections: [Change] = []
    /// Mutations the candidate cannot decide (its schemas refuse them), with the reason.
    public var refused: [(mutationID: String, reason: String)] = []

    /// How many decisions the candidate changes.
    public var changed: Int { changes.count }

    /// An empty report of a candidate.
    public init(candidateName: String, candidateVersion: String) {
        self.candidateName = candidateName
        self.candidateVersion = candidateVersion
    }

    /// Adds the report of the cases that follow this one's.
    public mutating func merge(_ other: ReplayReport) {
        replayed += other.replayed
        for (old, row) in other.confusion {
            for (new, n) in row { confusion[old, default: [:]][new, default: 0] += n }
        }
        changes += other.changes
        for (rule, shift) in other.rules {
            rules[rule, default: RuleShift()].newlyMatched += shift.newlyMatched
            rules[rule, default: RuleShift()].noLongerMatched += shift.noLongerMatched
            rules[rule, default: RuleShift()].matchedBoth += shift.matchedBoth
        }
        missedRejections += other.missedRejections
        refused += other.refused
    }

    /// The count in the confusion table for `old` → `new`.
    public func count(from old: Tier, to new: Tier) -> Int { confusion[old]?[new] ?? 0 }

    /// Gives each change what became of its mutation (learned after the decisions were replayed:
    /// a review closes, a rollback comes later in the log), and the missed rejections again from
    /// them, in order. A change whose mutation has no entry keeps its outcome.
    public mutating func attach(outcomes: [String: RecordedCase.Outcome]) {
        for i in changes.indices {
            if let outcome = outcomes[changes[i].mutationID] { changes[i].outcome = outcome }
        }
        missedRejections = changes.filter { $0.outcome.rejectedByPerson && Replay.runsBeforeAnyoneLooks($0.new, then: $0.old) }
    }
}

/// Re-evaluates recorded decisions under a candidate pack with the inputs they were made from
/// (mutation, actor, signals, system state, time): no history is rebuilt and nothing runs.
public enum Replay {
    /// Replays `cases` under `candidate`, split over `tasks` concurrent tasks (each decision is
    /// decided independently); the report is the one ``run(_:candidate:)`` gives, in case order.
    public static func run(_ cases: [RecordedCase], candidate: PolicyEngine, tasks: Int) async -> ReplayReport {
        let parts = await Concurrently.mapSlices(cases, tasks: tasks) { slice in run(slice, candidate: candidate) }
        var report = ReplayReport(candidateName: candidate.pack.name, candidateVersion: candidate.pack.version)
        for part in parts { report.merge(part) }
        return report
    }

    /// Replays `cases` under `candidate`.
    public static func run(_ cases: some Collection<RecordedCase>, candidate: PolicyEngine) -> ReplayReport {
        var report = ReplayReport(candidateName: candidate.pack.name, candidateVersion: candidate.pack.version)
        for recorded in cases { replay(recorded, candidate: candidate, into: &report) }
        return report
    }

    /// Reads each case from its payloads and replays it at once, split over `tasks` concurrent
    /// tasks, without keeping the cases: the report is the one of ``run(_:candidate:tasks:)``
    /// over the cases that read (each with the outcome it was read with: none, until
    /// ``ReplayReport/attach(outcomes:)``), and the payloads that do not read are returned with
    /// why, in order. A history of millions of decisions is replayed in the memory of one page.
    public static func run(
        _ payloads: [RecordedCase.Payloads], candidate: PolicyEngine, tasks: Int
    ) async -> (report: ReplayReport, unreadable: [(mutationID: String, reason: String)]) {
        let parts = await Concurrently.mapSlices(payloads, tasks: tasks) { slice in
            var reader = RecordedCase.Reader()
            var report = ReplayReport(candidateName: candidate.pack.name, candidateVersion: candidate.pack.version)
            var unreadable: [(mutationID: String, reason: String)] = []
            for payload in slice {
                switch reader.read(payload) {
                case .success(let recorded): replay(recorded, candidate: candidate, into: &report)
                case .failure(let failure): unreadable.append((payload.mutationID, failure.description))
                }
            }
            return ReplayPart(report: report, unreadable: unreadable)
        }
        var report = ReplayReport(candidateName: candidate.pack.name, candidateVersion: candidate.pack.version)
        var unreadable: [(mutationID: String, reason: String)] = []
        for part in parts {
            report.merge(part.report)
            unreadable += part.unreadable
        }
        return (report, unreadable)
    }

    /// One slice's share of a replay from payloads.
    private struct ReplayPart: Sendable {
        var report: ReplayReport
        var unreadable: [(mutationID: String, reason: String)]
    }

    /// Decides one recorded case again under `candidate` and adds it to `report`.
    static func replay(_ recorded: borrowing RecordedCase, candidate: PolicyEngine, into report: inout ReplayReport) {
        let decision: PolicyEngine.Verdict
        do {
            decision = try candidate.verdict(
                mutation: recorded.mutation, actor: recorded.inputs.actor, signals: recorded.signals,
                system: recorded.inputs.system, now: recorded.decidedAt)
        } catch {
            report.refused.append((recorded.mutationID, error.description))
            return
        }
        report.replayed += 1
        let new = decision.routedTier
        report.confusion[recorded.tier, default: [:]][new, default: 0] += 1
        guard new != recorded.tier else { return }
        let matched = decision.matchedRules
        let then = Set(recorded.rules)
        let now = Set(matched)
        var change = ReplayReport.Change(
            mutationID: recorded.mutationID, resource: recorded.mutation.resource, old: recorded.tier, new: new,
            rulesAdded: matched.filter { !then.contains($0) }, rulesRemoved: recorded.rules.filter { !now.contains($0) },
            outcome: recorded.outcome)
        if change.rulesAdded.isEmpty, change.rulesRemoved.isEmpty {
            // The same rules matched: the change is in what they say (a rule's tier or score).
            let both = matched.filter(then.contains)
            let namedThen = Set(recorded.decidingRules)
            let namedNow = Set(decision.namingRules)
            let naming = both.filter { namedThen.contains($0) || namedNow.contains($0) }
            change.rulesChanged = naming.isEmpty ? both : naming
        }
        for rule in change.rulesAdded { report.rules[rule, default: .init()].newlyMatched += 1 }
        for rule in change.rulesRemoved { report.rules[rule, default: .init()].noLongerMatched += 1 }
        for rule in change.rulesChanged { report.rules[rule, default: .init()].matchedBoth += 1 }
        report.changes.append(change)
        if recorded.outcome.rejectedByPerson, runsBeforeAnyoneLooks(new, then: recorded.tier) {
            report.missedRejections.append(change)
        }
    }

    /// Whether a mutation decided `new` runs before a person has looked, where the decision then
    /// (`old`) did not let it: low runs unreviewed; medium runs while the review is open, which
    /// is a miss only when the decision then made it wait.
    static func runsBeforeAnyoneLooks(_ new: Tier, then old: Tier) -> Bool {
        switch new {
        case .low: old != .low
        case .medium: old == .high || old == .block
        case .high, .block: false
        }
    }
}
