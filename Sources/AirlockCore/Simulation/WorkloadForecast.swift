import CEL

/// A forecast of the reviewers' work: what the reviews a stream opens would ask of each pool,
/// given how many people each pool has and how long one review takes them.
///
/// The model, exactly:
///
/// - A review opens at its mutation's time and needs the approvals of its requirement: for each
///   group, `count` approvals from distinct reviewers of `pool`. Every approval is one piece of
///   work of ``reviewMinutes`` for one reviewer. Pools are separate sets of people (a person in
///   two pools is counted in each).
/// - Each pool works first come, first served: an approval goes to the pool's reviewer who is free
///   first (the `count` approvals of one group to `count` different reviewers), starts when both
///   it and that reviewer are there, and is given ``reviewMinutes`` later. A pool with fewer
///   reviewers than a group's count gives as many approvals as it has people; the rest, and
///   every approval asked of a pool with no reviewers, is never given.
/// - A review completes when its last approval is given (never, if one never is). It is late when
///   it completes after its deadline: its opening time plus the SLA of its requirement (the
///   tier's `sla`, or the shortest `sla` of its matching rules, as the decision says). A review
///   without an SLA is never late. Reviewers are assumed to see every review through, even a late
///   one (the server would escalate it after its SLA and time it out after the escalation's; the
///   forecast does not move work to the escalation pool): the figures are the work the policy
///   asks for, an upper bound on the work people would do.
/// - Per pool: the approvals asked, their rate per clock hour (UTC) — the mean over every hour
///   from the stream's first record to its last, inclusive, and the busiest hour — the peak queue
///   (the most approvals asked and not yet given at one moment, waiting or in progress, counted
///   just after each arrival), how many were given after their review's deadline (or never), and
///   the mean and longest time from a review's opening to the pool's approval.
///
/// Pure: times are the stream's, nobody sleeps.
public struct WorkloadForecast: Sendable {
    /// The figures of one pool.
    public struct Pool: Sendable, Hashable {
        /// The pool's name.
        public var name: String
        /// Its reviewers, as given (0: nobody reviews for it).
        public var reviewers: Int
        /// The approvals reviews asked of it.
        public var approvals: Int
        /// Approvals asked per clock hour, on average over the stream's hours.
        public var approvalsPerHour: Double
        /// Approvals asked in the busiest clock hour.
        public var peakHourApprovals: Int
        /// The most approvals asked of it and not yet given at one moment.
        public var peakQueue: Int
        /// Approvals of reviews with a deadline given after it, or never.
        public var late: Int
        /// Approvals never given (no reviewers, or fewer than a group's count).
        public var neverGiven: Int
        /// The mean minutes from a review's opening to this pool's approval, over the approvals
        /// given; 0 when none was.
        public var meanMinutes: Double
        /// The longest such wait, in minutes.
        public var maxMinutes: Double
    }

    /// How many reviewers each pool has; pools not named have none.
    public let reviewers: [String: Int]
    /// The minutes one reviewer takes for one approval.
    public let reviewMinutes: Double

    /// Reviews opened.
    public private(set) var reviews = 0
    /// Reviews that completed after their deadline, or never.
    public private(set) var lateReviews = 0
    /// Reviews that never complete.
    public private(set) var neverCompleted = 0
    /// Reviews whose requirement has no SLA (never late).
    public private(set) var withoutSLA = 0

    private let reviewMillis: Int64
    private var states: [String: PoolState] = [:]
    private var firstHour: Int64?
    private var lastHour: Int64 = 0

    /// A forecast for pools of `reviewers` people each taking `reviewMinutes` per approval.
    public init(reviewers: [String: Int], reviewMinutes: Double) {
        precondition(reviewMinutes >= 0 && reviewMinutes.isFinite, "review minutes must be a finite, non-negative number")
        self.reviewers = reviewers.mapValues { max(0, $0) }
        self.reviewMinutes = reviewMinutes
        reviewMillis = Int64((reviewMinutes * 60_000).rounded())
        for (name, count) in self.reviewers { states[name] = PoolState(reviewers: count) }
    }

    /// Counts `time` in the stream's span (its clock hours); every record's time should be.
    public mutating func observe(_ time: Timestamp) {
        let hour = Self.hour(of: Self.millis(time))
        if firstHour == nil { firstHour = hour }
        lastHour = max(lastHour, hour)
    }

    /// Opens a review needing `requirement` at `time` (times never earlier than the last review's),
    /// and returns when it completes: `nil` for never.
    @discardableResult
    public mutating func open(_ requirement: ApprovalRequirement, at time: Timestamp) -> Timestamp? {
        observe(time)
        let opened = Self.millis(time)
        let deadline = requirement.slaSeconds.map { opened &+ Int64($0) * 1000 }
        var completion = opened
        for group in requirement.groups where group.count > 0 {
            let finish = states[group.pool, default: PoolState(reviewers: 0)].assign(
                group.count, at: opened, taking: reviewMillis, deadline: deadline)
            completion = max(completion, finish)
        }
        reviews += 1
        if deadline == nil { withoutSLA += 1 }
        if let deadline, completion > deadline { lateReviews += 1 }
        if completion == .max {
            neverCompleted += 1
            return nil
        }
        return Timestamp(seconds: Self.floorDiv(completion, 1000), nanos: Int32(Self.floorMod(completion, 1000) * 1_000_000))
    }

    /// Every pool given or asked, by name.
    public var pools: [Pool] {
        let hours = firstHour.map { Double(lastHour - $0 + 1) } ?? 1
        return states.keys.sorted().map { name in
            let state = states[name]!
            let given = state.approvals - state.neverGiven
            return Pool(
                name: name, reviewers: state.reviewers, approvals: state.approvals,
                approvalsPerHour: Double(state.approvals) / hours, peakHourApprovals: state.peakHourApprovals,
                peakQueue: state.peakQueue, late: state.late, neverGiven: state.neverGiven,
                meanMinutes: given == 0 ? 0 : Double(state.waitMillis) / Double(given) / 60_000,
                maxMinutes: Double(state.maxWaitMillis) / 60_000)
        }
    }

    // MARK: Time

    static func millis(_ time: Timestamp) -> Int64 {
        time.seconds &* 1000 &+ Int64(time.nanos / 1_000_000)
    }

    private static func hour(of millis: Int64) -> Int64 { floorDiv(millis, 3_600_000) }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
    private static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

    /// One pool's reviewers and queue.
    private struct PoolState: Sendable {
        let reviewers: Int
        /// When each reviewer is next free.
        var free: MinHeap
        /// The finish times of approvals not yet given (those never given are counted apart).
        var unfinished = MinHeap()
        var approvals = 0
        var neverGiven = 0
        var late = 0
        var peakQueue = 0
        var waitMillis: Int64 = 0
        var maxWaitMillis: Int64 = 0
        var hour = Int64.min
        var hourApprovals = 0
        var peakHourApprovals = 0

        init(reviewers: Int) {
            self.reviewers = reviewers
            free = MinHeap(repeating: .min, count: reviewers)
        }

        /// Gives `count` approvals asked at `opened` to distinct reviewers; returns when the last
        /// is given (`.max`: never).
        mutating func assign(_ count: Int, at opened: Int64, taking duration: Int64, deadline: Int64?) -> Int64 {
            let hour = WorkloadForecast.hour(of: opened)
            if hour != self.hour {
                self.hour = hour
                hourApprovals = 0
            }
            hourApprovals += count
            peakHourApprovals = max(peakHourApprovals, hourApprovals)
            approvals += count
            unfinished.removeAll(through: opened)

            var last = opened
            if count == 1 {
                // The usual review: no list of busy reviewers to keep.
                if let next = free.popMin() {
                    let finish = give(at: opened, next: next, taking: duration, deadline: deadline)
                    free.push(finish)
                    last = finish
                } else {
                    never(deadline: deadline)
                    last = .max
                }
            } else {
                var busy: [Int64] = []
                for _ in 0..<count {
                    guard let next = free.popMin() else {
                        never(deadline: deadline)
                        last = .max
                        continue
                    }
                    let finish = give(at: opened, next: next, taking: duration, deadline: deadline)
                    busy.append(finish)
                    last = max(last, finish)
                }
                for finish in busy { free.push(finish) }
            }
            peakQueue = max(peakQueue, unfinished.count + neverGiven)
            return last
        }

        /// One approval by the reviewer free at `next`: when it is given.
        private mutating func give(at opened: Int64, next: Int64, taking duration: Int64, deadline: Int64?) -> Int64 {
            let finish = max(opened, next) &+ duration
            unfinished.push(finish)
            if let deadline, finish > deadline { late += 1 }
            waitMillis &+= finish - opened
            maxWaitMillis = max(maxWaitMillis, finish - opened)
            return finish
        }

        /// One approval nobody gives.
        private mutating func never(deadline: Int64?) {
            neverGiven += 1
            if deadline != nil { late += 1 }
        }
    }
}
