import CEL

/// Runs a stream of proposed mutations through triage, signals and a pack's rules, as the gateway
/// would have decided them one after the other, and tallies the outcome (``SimulationReport``).
///
/// For each record, in stream order:
///
/// 1. The clock is the record's `time`; a record earlier than the one before it is refused
///    (``StreamError``): signals depend on order, so a stream is never reordered silently.
/// 2. `system.*` is derived as the gateway derives it: no freeze, a rollback rate of 0 (nothing
///    is rolled back in a simulation), and `queue_depth` the reviews this simulation opened that
///    are still open. A review closes when its reviewers complete it (``WorkloadForecast``, when
///    the pools' sizes are given; otherwise nobody reviews) or when it times out — its SLA, and
///    once more its SLA when its tier escalates — whichever comes first; without an SLA a review
///    nobody completes stays open.
/// 3. The mutation is validated and decided with signals from the history so far
///    (`PolicyEngine.decide`, as `Gateway.submit` calls it): an invalid one is refused.
/// 4. The submission is counted in its actor's rates, whatever its outcome
///    (`SignalState.countSubmission`), and — when the routed tier is low or medium, the mutations
///    that execute at once — the validated mutation is learned by the history as executed
///    (`SignalState.record`), at the record's time. Nothing held for approval is learned: a
///    simulation does not guess what reviewers would approve.
/// 5. A medium or high routed tier opens a review needing the decision's `requirement`.
///
/// Pure and synchronous; one simulator runs one stream.
public struct Simulator: Sendable {
    /// What became of one record.
    public struct Outcome: Sendable {
        /// The decision; `nil` when the mutation is invalid.
        public var decision: Decision?
        /// Why the mutation is invalid, when it is.
        public var invalid: ValidationFailure?
        /// The reviews open when it was decided (its `system.queue_depth`).
        public var queueDepth: Int

        /// The routed tier; `nil` when invalid.
        public var tier: Tier? { decision?.routedTier }
    }

    /// The engine decisions are made with.
    public let engine: PolicyEngine
    /// The signal history, as the records so far left it.
    public private(set) var signals: SignalState

    /// The reviewers' queue; with no pools given, nobody reviews and it is left out of the report.
    private var forecast: WorkloadForecast
    private let forecasting: Bool
    /// When each open review closes (those that never close are counted apart).
    private var closing = MinHeap()
    private var openForever = 0
    private var system = SystemState()
    /// The state rules see at each queue depth so far (up to 4,096), built once each: building
    /// one builds the value rules read.
    private var systemStates: [SystemState] = [SystemState()]
    private var last: Timestamp?
    private var first: Timestamp?

    private var resourceIndex: [String: Int] = [:]
    private var resourceCounts: [SimulationReport.ResourceCounts] = []
    private var actorIDs = Set<String>()
    private var total = SimulationReport.TierCounts()
    private var bad = SimulationReport.TierCounts()
    private var benign = SimulationReport.TierCounts()
    private var unlabelled = 0
    private var slipped: [SimulationReport.Slipped] = []
    private var peakOpenReviews = 0

    /// A simulator of `pack` starting from `signals` (an empty history unless given); with
    /// `workload`, reviews are worked by its pools and the report carries its forecast.
    public init(pack: PolicyPack, workload: WorkloadForecast? = nil, signals: SignalState = SignalState()) {
        engine = PolicyEngine(pack: pack)
        forecast = workload ?? WorkloadForecast(reviewers: [:], reviewMinutes: 0)
        forecasting = workload != nil
        self.signals = signals
        for name in pack.resourceOrder { addResource(name) }
    }

    /// Decides every record, in order.
    public mutating func run(_ records: some Sequence<StreamRecord>) throws(StreamError) {
        for record in records { try run(record) }
    }

    /// Decides every record of an array, in order (each read in place, not copied).
    public mutating func run(_ records: [StreamRecord]) throws(StreamError) {
        try records.withUnsafeBufferPointer { buffer throws(StreamError) in
            for i in buffer.indices { try run(buffer[i]) }
        }
    }

    /// Decides one record and learns from it.
    ///
    /// - Throws: ``StreamError`` when its time is before the previous record's.
    @discardableResult
    public mutating func run(_ record: StreamRecord) throws(StreamError) -> Outcome {
        let time = record.time
        if let last, time < last {
            throw StreamError(
                line: record.line, field: "time",
                message: "\(RFC3339.format(time)) is before the previous line's \(RFC3339.format(last)); a stream must be in time order")
        }
        if first == nil { first = time }
        last = time
        forecast.observe(time)
        let depth = openReviews(at: time)
        peakOpenReviews = max(peakOpenReviews, depth)
        if depth != system.queueDepth { system = systemState(queueDepth: depth) }

        var decided: Decision?
        var invalid: ValidationFailure?
        var executed: Mutation?
        switch record.mutation {
        case .failure(let failure):
            invalid = failure
        case .success(let mutation):
            do throws(ValidationFailure) {
                let (valid, decision) = try engine.decide(
                    mutation: mutation, actor: record.actor, system: system, now: time
                ) { valid in
                    signals.signals(for: valid, actor: record.actor, in: engine.pack, now: time)
                }
                let tier = decision.routedTier
                if tier == .low || tier == .medium { executed = valid }
                if tier == .medium || tier == .high, let requirement = decision.requirement {
                    openReview(requirement, at: time)
                }
                decided = decision
            } catch {
                invalid = error
            }
        }
        signals.countSubmission(actorID: record.actor.id, at: time)
        if let executed { signals.record(executed, actor: record.actor, in: engine.pack, at: time) }
        tally(record, decided)
        return Outcome(decision: decided, invalid: invalid, queueDepth: depth)
    }

    /// The report of the records so far.
    public var report: SimulationReport {
        SimulationReport(
            policyName: engine.pack.name, policyVersion: engine.pack.version,
            span: first.flatMap { first in last.map { (first, $0) } }, actors: actorIDs.count,
            resources: resourceCounts.filter { $0.counts.total > 0 }, total: total, bad: bad, benign: benign,
            unlabelled: unlabelled, slipped: slipped, peakOpenReviews: peakOpenReviews, workload: forecasting ? forecast : nil)
    }

    // MARK: Reviews

    private mutating func systemState(queueDepth depth: Int) -> SystemState {
        guard depth < 4096 else { return SystemState(queueDepth: depth) }
        while systemStates.count <= depth { systemStates.append(SystemState(queueDepth: systemStates.count)) }
        return systemStates[depth]
    }

    /// Reviews open at `time`: those closing at or before it are closed.
    private mutating func openReviews(at time: Timestamp) -> Int {
        closing.removeAll(through: WorkloadForecast.millis(time))
        return closing.count + openForever
    }

    private mutating func openReview(_ requirement: ApprovalRequirement, at time: Timestamp) {
        let completes = forecasting ? forecast.open(requirement, at: time) : nil
        let timesOut = requirement.slaSeconds.map { sla in
            WorkloadForecast.millis(time) &+ Int64(sla) * 1000 * (requirement.escalateTo == nil ? 1 : 2)
        }
        switch (completes.map(WorkloadForecast.millis), timesOut) {
        case (nil, nil): openForever += 1
        case (let done?, nil): closing.push(done)
        case (nil, let timeout?): closing.push(timeout)
        case (let done?, let timeout?): closing.push(min(done, timeout))
        }
    }

    // MARK: Tallies

    private mutating func addResource(_ name: String) {
        resourceIndex[name] = resourceCounts.count
        resourceCounts.append(SimulationReport.ResourceCounts(resource: name, counts: .init()))
    }

    private mutating func tally(_ record: StreamRecord, _ decision: Decision?) {
        let tier = decision?.routedTier
        let index: Int
        if let known = resourceIndex[record.resource] {
            index = known
        } else {
            // Resources the pack does not know, after the pack's own, by name.
            addResource(record.resource)
            let known = engine.pack.resourceOrder.count
            resourceCounts[known...].sort { $0.resource < $1.resource }
            for (i, entry) in resourceCounts.enumerated().dropFirst(known) { resourceIndex[entry.resource] = i }
            index = resourceIndex[record.resource]!
        }
        resourceCounts[index].counts.count(tier)
        total.count(tier)
        actorIDs.insert(record.actor.id)
        switch record.label {
        case nil:
            unlabelled += 1
        case .benign:
            benign.count(tier)
        case .bad:
            bad.count(tier)
            if let decision, let tier, tier == .low || tier == .medium,
                case .success(let mutation) = record.mutation
            {
                slipped.append(
                    SimulationReport.Slipped(
                        line: record.line, id: record.id, time: record.time, actor: record.actor.id,
                        resource: record.resource, operation: mutation.operation, tier: tier, score: decision.score,
                        rules: decision.matchedRules))
            }
        }
    }
}
