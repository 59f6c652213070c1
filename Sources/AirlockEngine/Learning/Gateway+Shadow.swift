import AirlockCore
import AirlockStore
import CEL
import Foundation
import Logging
import Synchronization

/// A candidate policy running in shadow: every live mutation the active policy decides is also
/// decided by the candidate, with the same inputs and without effect; the two decisions are kept
/// side by side (``ShadowResult``) for `airlock policy shadow-report`.
struct ShadowPolicy: Sendable {
    let engine: PolicyEngine
    let setting: ShadowSetting
}

extension Gateway {
    /// Starts running a stored policy version in shadow (admins), replacing any other candidate.
    /// Audited (`shadow_started`); kept in the store, so it survives a restart.
    public func startShadow(policyVersion given: String, by principal: Principal) async throws(GatewayError) -> ShadowSetting {
        guard principal.has(.admin) else { throw .forbidden("'\(principal.id)' is not an admin; running a policy in shadow needs it") }
        do {
            let (record, pack) = try await storedPack(
                given, notFound: "no policy version '\(given)'; upload it first (PUT /v1/policies/{name})", refused: "it cannot run in shadow")
            let hash = record.hash
            let setting = ShadowSetting(version: hash, since: clock.now(), by: principal.id)
            var change = StoreChange(at: setting.since)
            change.setShadow(
                setting,
                audit: AuditEntry(
                    kind: .shadowStarted, actor: principal.id,
                    payload: CanonicalJSON.encode(.map(CELMap(["name": .string(pack.name), "version": .string(hash)]))),
                    policyVersion: activePack?.version))
            _ = try await apply(change)
            shadow.withLock { $0 = ShadowPolicy(engine: PolicyEngine(pack: pack), setting: setting) }
            return setting
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
    }

    /// Stops the shadow candidate (admins); `notFound` when none runs. Audited (`shadow_stopped`);
    /// its results stay for the report.
    public func stopShadow(by principal: Principal) async throws(GatewayError) -> ShadowSetting {
        guard principal.has(.admin) else { throw .forbidden("'\(principal.id)' is not an admin; stopping a shadow policy needs it") }
        do {
            guard let current = try await store.shadowPolicy() else { throw GatewayError.notFound("no policy runs in shadow") }
            var change = StoreChange(at: clock.now())
            change.setShadow(
                nil,
                audit: AuditEntry(
                    kind: .shadowStopped, actor: principal.id,
                    payload: CanonicalJSON.encode(.map(CELMap(["version": .string(current.version)]))),
                    policyVersion: activePack?.version))
            _ = try await apply(change)
            shadow.withLock { $0 = nil }
            return current
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
    }

    /// The candidate running in shadow, if any.
    public var shadowSetting: ShadowSetting? { shadow.withLock { $0?.setting } }

    /// Loads the shadow candidate kept in the store (at start-up). One that no longer checks is
    /// left off, logged.
    func loadShadow() async throws {
        guard let setting = try await store.shadowPolicy() else {
            shadow.withLock { $0 = nil }
            return
        }
        if shadow.withLock({ $0?.setting == setting }) { return }
        guard let record = try await store.policyVersion(hash: setting.version) else {
            logger.warning("the shadow policy version is not stored; no shadow runs", metadata: ["version": "\(setting.version)"])
            return
        }
        do {
            let pack = try PackText.load(record.text)
            shadow.withLock { $0 = ShadowPolicy(engine: PolicyEngine(pack: pack), setting: setting) }
        } catch {
            logger.warning(
                "the shadow policy version no longer checks; no shadow runs", metadata: ["version": "\(setting.version)", "error": "\(error)"])
        }
    }

    /// The candidate's decision of a mutation the active policy decided, with the same inputs;
    /// `nil` when no candidate runs.
    func shadowResult(
        id: String, mutation: Mutation, decision: Decision, actor: Actor, system: SystemState, at now: Date
    ) -> ShadowResult? {
        guard let candidate = shadow.withLock({ $0 }) else { return nil }
        var result = ShadowResult(
            mutationID: id, shadowVersion: candidate.setting.version, activeVersion: decision.policyVersion, at: now,
            resource: mutation.resource, activeTier: decision.routedTier.rawValue, shadowTier: "invalid",
            activeRules: decision.matchedRules, shadowRules: [], shadowDecision: nil)
        do {
            let shadowDecision = try candidate.engine.decide(
                mutation: mutation, actor: actor, signals: decision.signals, system: system, now: decision.evaluatedAt)
            result.shadowTier = shadowDecision.routedTier.rawValue
            result.shadowRules = shadowDecision.matchedRules
            if !result.agrees { result.shadowDecision = CanonicalJSON.encode(shadowDecision.jsonValue) }
        } catch {
            result.shadowDecision = CanonicalJSON.encode(.map(CELMap(["invalid": .string(error.description)])))
        }
        return result
    }
}

/// How often and where a shadow candidate disagreed with the active policy.
public struct ShadowReport: Sendable {
    /// A pair of tiers (active, candidate) and how many decisions fell in it.
    public struct Pair: Sendable, Hashable {
        public var active: String
        public var shadow: String
        public var count: Int
    }

    /// A rule's part in the disagreements: decisions it matched under one policy only.
    public struct RuleCount: Sendable, Hashable {
        public var rule: String
        /// Matched by the active policy, not by the candidate.
        public var activeOnly: Int
        /// Matched by the candidate, not by the active policy.
        public var shadowOnly: Int
        /// Matched by both in a disagreement where both matched the same rules: what the rule
        /// says (its tier or score) differs between the two.
        public var matchedBoth = 0

        var total: Int { activeOnly + shadowOnly + matchedBoth }
    }

    /// Per resource, decisions and disagreements.
    public struct ResourceCount: Sendable, Hashable {
        public var resource: String
        public var evaluated: Int
        public var disagreements: Int
    }

    /// The candidate reported on, and the one running now (if any).
    public var version: String?
    public var running: ShadowSetting?
    public var evaluated = 0
    public var disagreements = 0
    /// Every pair of tiers that disagrees, most frequent first.
    public var pairs: [Pair] = []
    public var rules: [RuleCount] = []
    public var resources: [ResourceCount] = []
    /// The latest disagreements, newest first (at most 20).
    public var recent: [ShadowResult] = []

    /// The share of decisions the two disagree on.
    public var disagreementRate: Double? { evaluated == 0 ? nil : Double(disagreements) / Double(evaluated) }

    /// The report of `results` (of one candidate).
    public init(version: String?, running: ShadowSetting?, results: [ShadowResult]) {
        self.version = version
        self.running = running
        var pairs: [String: Pair] = [:]
        var rules: [String: RuleCount] = [:]
        var resources: [String: ResourceCount] = [:]
        for result in results {
            evaluated += 1
            resources[result.resource, default: ResourceCount(resource: result.resource, evaluated: 0, disagreements: 0)].evaluated += 1
            guard !result.agrees else { continue }
            disagreements += 1
            resources[result.resource]?.disagreements += 1
            pairs["\(result.activeTier)>\(result.shadowTier)", default: Pair(active: result.activeTier, shadow: result.shadowTier, count: 0)]
                .count += 1
            let active = Set(result.activeRules)
            let shadow = Set(result.shadowRules)
            for rule in active.subtracting(shadow) { rules[rule, default: RuleCount(rule: rule, activeOnly: 0, shadowOnly: 0)].activeOnly += 1 }
            for rule in shadow.subtracting(active) { rules[rule, default: RuleCount(rule: rule, activeOnly: 0, shadowOnly: 0)].shadowOnly += 1 }
            if active == shadow {
                for rule in active { rules[rule, default: RuleCount(rule: rule, activeOnly: 0, shadowOnly: 0)].matchedBoth += 1 }
            }
        }
        self.pairs = pairs.values.sorted { ($0.count, $1.active, $1.shadow) > ($1.count, $0.active, $0.shadow) }
        self.rules = rules.values.sorted { ($0.total, $1.rule) > ($1.total, $0.rule) }
        self.resources = resources.values.sorted { $0.resource < $1.resource }
        self.recent = Array(results.filter { !$0.agrees }.suffix(20).reversed())
    }
}

extension Gateway {
    /// The shadow report of candidate `version` (the running one, else the latest with results)
    /// since `since`: reviewers, admins and auditors.
    public func shadowReport(version: String?, since: Date?, for principal: Principal) async throws(GatewayError) -> ShadowReport {
        guard principal.has(.reviewer) || principal.has(.admin) || principal.has(.auditor) else {
            throw .forbidden("'\(principal.id)' may not read the shadow report: it is for reviewers, admins and auditors")
        }
        var given: String?
        if let version { given = try await fullPolicyVersion(version) }
        do {
            let running = try await store.shadowPolicy()
            var chosen = given ?? running?.version
            if chosen == nil { chosen = try await store.shadowResults(version: nil, since: since).last?.shadowVersion }
            guard let chosen else { return ShadowReport(version: nil, running: running, results: []) }
            return ShadowReport(version: chosen, running: running, results: try await store.shadowResults(version: chosen, since: since))
        } catch {
            throw .unavailable(error)
        }
    }

    /// The stored policy version `text` names: the whole version, or its first hex digits as the
    /// reports print them (12). Unknown: 404; the start of several: 400, naming them.
    func fullPolicyVersion(_ text: String) async throws(GatewayError) -> String {
        let versions: [String]
        do {
            versions = try await store.policyVersions().map(\.hash)
        } catch {
            throw .unavailable(error)
        }
        if versions.contains(text) { return text }
        let prefix = text.lowercased()
        let matches = prefix.isEmpty ? [] : versions.filter { $0.hasPrefix(prefix) }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw .notFound("no policy version '\(text)' is stored (a version, or its first hex digits)")
        default:
            throw GatewayError(
                .badRequest, title: "Ambiguous policy version",
                detail: "'\(text)' is the start of \(matches.count) stored versions (\(matches.map { String($0.prefix(16)) }.joined(separator: ", "))): give more digits")
        }
    }
}
