import CEL

/// What a simulation found: tiers per resource, how well the policy told bad from benign on a
/// labelled stream, the bad mutations that would have run, and the reviewers' workload.
///
/// Tiers are the routed tiers, what the gateway acts on (a medium-tier change of an irreversible
/// resource counts as high). A mutation that does not conform to its schema counts as invalid.
public struct SimulationReport: Sendable {
    /// Mutations per outcome.
    public struct TierCounts: Sendable, Hashable {
        public var low = 0
        public var medium = 0
        public var high = 0
        public var block = 0
        /// Refused by validation before any rule ran.
        public var invalid = 0

        public init(low: Int = 0, medium: Int = 0, high: Int = 0, block: Int = 0, invalid: Int = 0) {
            self.low = low
            self.medium = medium
            self.high = high
            self.block = block
            self.invalid = invalid
        }

        /// Every mutation counted.
        public var total: Int { low + medium + high + block + invalid }
        /// Those that would run without waiting for anyone: low and medium.
        public var ranWithoutWaiting: Int { low + medium }
        /// Those that would wait for a person or be refused: high, block and invalid.
        public var heldOrRefused: Int { high + block + invalid }

        /// The count of a tier.
        public subscript(tier: Tier) -> Int {
            get {
                switch tier {
                case .low: low
                case .medium: medium
                case .high: high
                case .block: block
                }
            }
            set {
                switch tier {
                case .low: low = newValue
                case .medium: medium = newValue
                case .high: high = newValue
                case .block: block = newValue
                }
            }
        }

        /// Counts one outcome: a routed tier, or invalid (`nil`).
        mutating func count(_ tier: Tier?) {
            if let tier { self[tier] += 1 } else { invalid += 1 }
        }
    }

    /// The tiers of one resource's mutations.
    public struct ResourceCounts: Sendable, Hashable {
        /// The resource as the mutations name it (`""` for documents that name none).
        public var resource: String
        public var counts: TierCounts
    }

    /// A bad mutation the policy would have let run (routed low or medium).
    public struct Slipped: Sendable, Hashable {
        /// The stream line.
        public var line: Int
        /// The line's `id`, if it had one.
        public var id: String?
        public var time: Timestamp
        public var actor: String
        public var resource: String
        public var operation: Mutation.Operation
        /// Low (ran, nobody looks) or medium (ran, reviewed after the fact).
        public var tier: Tier
        public var score: Int
        /// The rules that matched, in pack order.
        public var rules: [String]
    }

    /// The pack's name.
    public var policyName: String
    /// The pack's version (content hash).
    public var policyVersion: String
    /// The time of the first and the last record; `nil` for an empty stream.
    public var span: (first: Timestamp, last: Timestamp)?
    /// Distinct actors.
    public var actors: Int
    /// Per resource, in the pack's order, then resources the pack does not know by name.
    public var resources: [ResourceCounts]
    /// All mutations.
    public var total: TierCounts
    /// The mutations labelled bad.
    public var bad: TierCounts
    /// The mutations labelled benign.
    public var benign: TierCounts
    /// Mutations without a label.
    public var unlabelled: Int
    /// The bad mutations that would have run, in stream order.
    public var slipped: [Slipped]
    /// The most reviews open at once, as `system.queue_depth` read it (just before a decision).
    public var peakOpenReviews: Int
    /// The reviewers' workload, when the pools' sizes were given.
    public var workload: WorkloadForecast?

    /// The share of bad mutations that would have waited for a person or been refused (high,
    /// block, invalid); `nil` without bad ones.
    public var catchRate: Double? {
        bad.total == 0 ? nil : Double(bad.heldOrRefused) / Double(bad.total)
    }

    /// The share of benign mutations that would have run without waiting (low, medium); `nil`
    /// without benign ones.
    public var automationRate: Double? {
        benign.total == 0 ? nil : Double(benign.ranWithoutWaiting) / Double(benign.total)
    }
}
