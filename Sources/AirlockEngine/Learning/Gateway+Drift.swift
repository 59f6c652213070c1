import AirlockCore
import AirlockStore
import CEL
import Foundation
import Logging
import Synchronization

/// When a drift check compares, and how far a distribution may move before it raises an alarm
/// (`drift:` in the configuration).
public struct DriftSettings: Sendable, Hashable {
    /// The window checked: the last `window` seconds of whole hours before the check.
    public var window: Int = 3_600
    /// The reference it is compared with: the `reference` seconds before the window.
    public var reference: Int = 86_400
    /// The population stability index past which an alarm is raised.
    public var threshold: Double = 0.25
    /// Both sides need at least this many decisions of the resource to be compared.
    public var minimumCount: Int = 50
    /// A pool's median time to decide moving by this factor (slower or faster) raises an alarm.
    public var latencyRatio: Double = 2
    /// Both sides need at least this many votes of the pool to be compared.
    public var minimumVotes: Int = 20

    public init() {}
}

/// The per-hour distribution counts not yet written to the store, the settings, and which
/// (resource, dimension) pairs are in alarm now (an alarm is raised once until its index falls
/// back under the threshold).
struct DriftBook: Sendable {
    var settings = DriftSettings()
    var pending: [DistributionKey: Int] = [:]
    var alarmed: Set<String> = []
}

struct DistributionKey: Hashable, Sendable {
    var hour: Int64
    var resource: String
    var dimension: String
    var bucket: String
}

extension Gateway {
    /// Sets when drift checks compare and their threshold.
    public func configureDrift(_ settings: DriftSettings) {
        driftBook.withLock { $0.settings = settings }
    }

    public var driftSettings: DriftSettings { driftBook.withLock { $0.settings } }

    /// Counts a decision in its hour's distributions: its routed tier, most sensitive class and
    /// score band.
    func countDistribution(resource: String, decision: Decision, at time: Date) {
        let hour = Int64((time.timeIntervalSince1970 / 3600).rounded(.down)) * 3600
        driftBook.withLock { book in
            book.pending[DistributionKey(hour: hour, resource: resource, dimension: "tier", bucket: decision.routedTier.rawValue), default: 0] += 1
            book.pending[DistributionKey(hour: hour, resource: resource, dimension: "class", bucket: decision.maxClass ?? "none"), default: 0] += 1
            book.pending[DistributionKey(hour: hour, resource: resource, dimension: "score", bucket: Drift.scoreBand(decision.score)), default: 0] += 1
        }
    }

    /// Writes the counted distributions to the store (``DriftService`` does every minute; a crash
    /// loses at most what was counted since).
    public func flushDistributions() async throws {
        let pending = driftBook.withLock { book -> [DistributionKey: Int] in
            defer { book.pending = [:] }
            return book.pending
        }
        guard !pending.isEmpty else { return }
        var change = StoreChange(at: clock.now())
        change.addDistributionCounts(
            pending.map { key, count in
                DistributionCount(
                    hour: Date(timeIntervalSince1970: Double(key.hour)), resource: key.resource, dimension: key.dimension,
                    bucket: key.bucket, count: count)
            })
        do {
            _ = try await apply(change)
        } catch {
            // Put them back: the next flush writes them.
            driftBook.withLock { book in for (key, count) in pending { book.pending[key, default: 0] += count } }
            throw error
        }
    }

    /// Compares the last window of whole hours with the reference before it, per resource and
    /// dimension, and raises a `drift` alarm (audited, notified, counted) for each pair that
    /// moved past the threshold and was not in alarm already. Returns every finding compared.
    @discardableResult
    public func checkDrift() async throws -> [Drift.Finding] {
        try await flushDistributions()
        let settings = driftSettings
        let now = clock.now()
        let end = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        let windowStart = end.addingTimeInterval(-Double(settings.window))
        let referenceStart = windowStart.addingTimeInterval(-Double(settings.reference))
        let counts = try await store.distributionCounts(from: referenceStart, to: end)
        var reference: [String: [String: Int]] = [:]
        var window: [String: [String: Int]] = [:]
        for count in counts {
            let key = count.resource + "\u{0}" + count.dimension
            if count.hour < windowStart {
                reference[key, default: [:]][count.bucket, default: 0] += count.count
            } else {
                window[key, default: [:]][count.bucket, default: 0] += count.count
            }
        }
        var findings: [(key: String, finding: Drift.Finding)] = []
        for key in Set(reference.keys).intersection(window.keys).sorted() {
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            let finding = Drift.compare(resource: parts[0], dimension: parts[1], reference: reference[key]!, window: window[key]!)
            guard finding.referenceCount >= settings.minimumCount, finding.windowCount >= settings.minimumCount else { continue }
            findings.append((key, finding))
            metrics.driftScore(resource: finding.resource, dimension: finding.dimension, index: finding.index)
        }
        let entered = try await settleAlarms("drift", findings.map { ($0.key, $0.finding.index >= settings.threshold) }) { body in
            driftBook.withLock { body(&$0.alarmed) }
        }
        let raised = findings.filter { entered.contains($0.key) }.map(\.finding)
        if !raised.isEmpty { try await raiseDriftAlarms(raised, window: (windowStart, end), referenceStart: referenceStart) }
        return findings.map(\.finding)
    }

    /// Compares each pool's median time to decide (from a review's opening to each vote) in the
    /// last window with the reference before it, and raises a `drift` alarm for each pool whose
    /// median moved by ``DriftSettings/latencyRatio`` either way and was not in alarm already.
    /// Returns every pool compared.
    @discardableResult
    public func checkReviewLatency() async throws -> [Drift.LatencyFinding] {
        let settings = driftSettings
        let now = clock.now()
        let end = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        let windowStart = end.addingTimeInterval(-Double(settings.window))
        let referenceStart = windowStart.addingTimeInterval(-Double(settings.reference))
        var opened: [String: ReviewRecord] = [:]
        var reference: [String: [Double]] = [:]
        var window: [String: [Double]] = [:]
        for vote in try await store.votes(castSince: referenceStart) where vote.at < end {
            if opened[vote.reviewID] == nil { opened[vote.reviewID] = try await store.review(id: vote.reviewID) }
            guard let review = opened[vote.reviewID] else { continue }
            let pool = vote.pool ?? review.groups.first?.pool ?? "(none)"
            let seconds = max(0, vote.at.timeIntervalSince(review.openedAt))
            if vote.at < windowStart { reference[pool, default: []].append(seconds) } else { window[pool, default: []].append(seconds) }
        }
        var findings: [Drift.LatencyFinding] = []
        for pool in Set(reference.keys).intersection(window.keys).sorted() {
            guard let finding = Drift.compareLatency(pool: pool, reference: reference[pool]!, window: window[pool]!),
                finding.referenceCount >= settings.minimumVotes, finding.windowCount >= settings.minimumVotes
            else { continue }
            findings.append(finding)
            metrics.reviewLatencyRatio(pool: pool, ratio: finding.ratio)
        }
        let entered = try await settleAlarms(
            "drift", findings.map { ("pool\u{0}" + $0.pool, $0.moved(by: settings.latencyRatio)) }
        ) { body in
            driftBook.withLock { body(&$0.alarmed) }
        }
        let raised = findings.filter { entered.contains("pool\u{0}" + $0.pool) }
        guard !raised.isEmpty else { return findings }
        var change = StoreChange(at: now)
        for finding in raised {
            let summary = "pool \(finding.pool): \(finding.moved)"
            let payload = CELMap([
                "pool": .string(finding.pool),
                "moved": .list([
                    .map(
                        CELMap([
                            "dimension": .string("review_latency"),
                            "reference_median_seconds": .double((finding.referenceMedianSeconds * 10).rounded() / 10),
                            "window_median_seconds": .double((finding.windowMedianSeconds * 10).rounded() / 10),
                            "ratio": .double((finding.ratio * 100).rounded() / 100),
                            "reference_count": .int(Int64(finding.referenceCount)), "window_count": .int(Int64(finding.windowCount)),
                        ]))
                ]),
                "window": .string("\(MutationView.format(windowStart))/\(MutationView.format(end))"),
                "reference": .string("\(MutationView.format(referenceStart))/\(MutationView.format(windowStart))"),
            ])
            change.appendAudit(
                AuditEntry(kind: .drift, actor: "airlock", payload: CanonicalJSON.encode(.map(payload)), policyVersion: activePack?.version))
            notifications.enqueue(
                NotificationEvent(
                    id: Self.newID(prefix: "evt_", at: now), kind: .drift, time: now, text: "Drift in reviewer latency of \(summary)",
                    actor: "airlock", detail: summary, extra: ["pool": .string(finding.pool)]),
                into: &change)
            logger.warning("drift", metadata: ["pool": "\(finding.pool)", "moved": "\(finding.moved)"])
        }
        _ = try await apply(change)
        for _ in raised { metrics.alarmRaised("drift") }
        return findings
    }

    /// One alarm per resource, naming every dimension of it that moved.
    private func raiseDriftAlarms(_ findings: [Drift.Finding], window: (Date, Date), referenceStart: Date) async throws {
        let now = clock.now()
        var change = StoreChange(at: now)
        let byResource = Dictionary(grouping: findings, by: \.resource)
        for resource in byResource.keys.sorted() {
            let moved = byResource[resource]!
            let summary = moved.map { "\($0.dimension) \($0.moved) (index \(String(format: "%.2f", $0.index)))" }.joined(separator: "; ")
            var payload = CELMap()
            payload["resource"] = .string(resource)
            payload["moved"] = .list(
                moved.map { finding in
                    .map(
                        CELMap([
                            "dimension": .string(finding.dimension), "index": .double((finding.index * 1000).rounded() / 1000),
                            "bucket": .string(finding.bucket), "reference_share": .double((finding.referenceShare * 1000).rounded() / 1000),
                            "window_share": .double((finding.windowShare * 1000).rounded() / 1000),
                            "reference_count": .int(Int64(finding.referenceCount)), "window_count": .int(Int64(finding.windowCount)),
                        ]))
                })
            payload["window"] = .string("\(MutationView.format(window.0))/\(MutationView.format(window.1))")
            payload["reference"] = .string("\(MutationView.format(referenceStart))/\(MutationView.format(window.0))")
            change.appendAudit(
                AuditEntry(kind: .drift, actor: "airlock", payload: CanonicalJSON.encode(.map(payload)), policyVersion: activePack?.version))
            notifications.enqueue(
                NotificationEvent(
                    id: Self.newID(prefix: "evt_", at: now), kind: .drift, time: now, text: "Drift in \(resource): \(summary)",
                    actor: "airlock", resource: resource, detail: summary),
                into: &change)
            logger.warning("drift", metadata: ["resource": "\(resource)", "moved": "\(summary)"])
        }
        _ = try await apply(change)
        for _ in byResource.keys { metrics.alarmRaised("drift") }
    }
}
