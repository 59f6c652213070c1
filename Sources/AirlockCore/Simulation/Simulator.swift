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

    /// Decides every record of an array, in order (each read in place, not copied). Only what the
    /// report reads of each decision is made (``PolicyEngine/Verdict``).
    public mutating func run(_ records: [StreamRecord]) throws(StreamError) {
        try records.withUnsafeBufferPointer { buffer throws(StreamError) in
            guard let base = buffer.baseAddress else { return }
            for i in buffer.indices {
                _ = try step(base + i, deciding: PolicyEngine.Verdict.self)
            }
        }
    }

    /// Decides one record and learns from it.
    ///
    /// - Throws: ``StreamError`` when its time is before the previous record's.
    @discardableResult
    public mutating func run(_ record: StreamRecord) throws(StreamError) -> Outcome {
        let (decision, invalid, depth) = try withUnsafePointer(to: record) { pointer throws(StreamError) in
            try step(pointer, deciding: Decision.self)
        }
        return Outcome(decision: decision, invalid: invalid, queueDepth: depth)
    }

    /// One record: its decision (a full decision or a verdict), why it is invalid when it is,
    /// and the queue depth it saw; the history, the reviews and the tallies learn from it.
    /// (The record is read through a pointer, each field where it is used: a borrowed record was
    /// still copied whole, retaining every field, which showed in `bench simulate`.)
    @inline(__always)
    private mutating func step<D: SimulatedDecision>(
        _ pointer: UnsafePointer<StreamRecord>, deciding: D.Type
    ) throws(StreamError) -> (D?, ValidationFailure?, Int) {
        let time = pointer.pointee.time
        if let last, time < last {
            throw StreamError(
                line: pointer.pointee.line, field: "time",
                message: "\(RFC3339.format(time)) is before the previous line's \(RFC3339.format(last)); a stream must be in time order")
        }
        if first == nil { first = time }
        last = time
        forecast.observe(time)
        let depth = openReviews(at: time)
        peakOpenReviews = max(peakOpenReviews, depth)
        if depth != system.queueDepth { system = systemState(queueDepth: depth) }

        var decided: D?
        var invalid: ValidationFailure?
        let triaged: Result<PolicyEngine.Triage, ValidationFailure>
        if let ahead = pointer.pointee.triaged, ahead.version == engine.pack.version {
            triaged = ahead.result
        } else {
            switch pointer.pointee.mutation {
            case .failure(let failure): triaged = .failure(failure)
            case .success(let mutation): triaged = Result { () throws(ValidationFailure) in try engine.triage(mutation) }
            }
        }
        switch triaged {
        case .failure(let failure):
            invalid = failure
            signals.countSubmission(actorID: pointer.pointee.actor.id, at: time)
        case .success(let triage):
            let derived = signals.signals(
                for: triage.mutation, actor: pointer.pointee.actor, resource: triage.resource, hours: engine.pack.businessHours,
                now: time)
            let decision = D(engine, triage, pointer.pointee.actor, derived, system, time)
            let tier = decision.routedTier
            if tier == .medium || tier == .high, let requirement = decision.requirement {
                openReview(requirement, at: time)
                // The peak counts this review too (the depth above is what it was decided at).
                peakOpenReviews = max(peakOpenReviews, closing.count + openForever)
            }
            // Counted in its actor's rates whatever its outcome, after its own decision.
            signals.countSubmission(actorID: pointer.pointee.actor.id, at: time)
            if tier == .low || tier == .medium {
                signals.record(triage.mutation, actor: pointer.pointee.actor, resource: triage.resource, at: time)
            }
            decided = decision
        }
        tally(pointer, decided)
        return (decided, invalid, depth)
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

    private mutating func tally<D: SimulatedDecision>(_ pointer: UnsafePointer<StreamRecord>, _ decision: D?) {
        let tier = decision?.routedTier
        let index: Int
        if let known = resourceIndex[pointer.pointee.resource] {
            index = known
        } else {
            // Resources the pack does not know, after the pack's own, by name.
            addResource(pointer.pointee.resource)
            let known = engine.pack.resourceOrder.count
            resourceCounts[known...].sort { $0.resource < $1.resource }
            for (i, entry) in resourceCounts.enumerated().dropFirst(known) { resourceIndex[entry.resource] = i }
            index = resourceIndex[pointer.pointee.resource]!
        }
        resourceCounts[index].counts.count(tier)
        total.count(tier)
        actorIDs.insert(pointer.pointee.actor.id)
        switch pointer.pointee.label {
        case nil:
            unlabelled += 1
        case .benign:
            benign.count(tier)
        case .bad:
            bad.count(tier)
            if let decision, let tier, tier == .low || tier == .medium,
                case .success(let mutation) = pointer.pointee.mutation
            {
                slipped.append(
                    SimulationReport.Slipped(
                        line: pointer.pointee.line, id: pointer.pointee.id, time: pointer.pointee.time, actor: pointer.pointee.actor.id,
                        resource: pointer.pointee.resource, operation: mutation.operation, tier: tier, score: decision.score,
                        rules: decision.matchedRules))
            }
        }
    }
}

/// What a simulation reads of a decision: a full ``Decision`` (`run(_ record:)`, one record)
/// or a ``PolicyEngine/Verdict`` (a batch of records).
protocol SimulatedDecision {
    /// Decides a triaged mutation.
    init(
        _ engine: borrowing PolicyEngine, _ triage: borrowing PolicyEngine.Triage, _ actor: borrowing Actor,
        _ signals: borrowing Signals, _ system: borrowing SystemState, _ now: Timestamp)
    var routedTier: Tier { get }
    var requirement: ApprovalRequirement? { get }
    var score: Int { get }
    var matchedRules: [String] { get }
}

extension Decision: SimulatedDecision {
    init(
        _ engine: borrowing PolicyEngine, _ triage: borrowing PolicyEngine.Triage, _ actor: borrowing Actor,
        _ signals: borrowing Signals, _ system: borrowing SystemState, _ now: Timestamp
    ) {
        self = engine.decide(triage, actor: actor, signals: signals, system: system, now: now)
    }
}

extension PolicyEngine.Verdict: SimulatedDecision {
    init(
        _ engine: borrowing PolicyEngine, _ triage: borrowing PolicyEngine.Triage, _ actor: borrowing Actor,
        _ signals: borrowing Signals, _ system: borrowing SystemState, _ now: Timestamp
    ) {
        self = engine.verdict(triage, actor: actor, signals: signals, system: system, now: now)
    }
}
