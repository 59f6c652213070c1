import AirlockCore
import AirlockStore
import CEL
import Foundation

extension Gateway {
    /// Every known policy version, oldest first.
    public func policies(for principal: Principal) async throws(GatewayError) -> [PolicyVersionRecord] {
        guard principal.has(.admin) || principal.has(.auditor) || principal.has(.reviewer) else {
            throw .forbidden("'\(principal.id)' may not list policies (admin, auditor or reviewer)")
        }
        do { return try await store.policyVersions() } catch { throw .unavailable(error) }
    }

    /// Refuses a principal that may not upload policies (before its upload is even read).
    public func authorizeUpload(by principal: Principal) throws(GatewayError) {
        guard principal.has(.admin) else { throw .forbidden("'\(principal.id)' is not an admin; uploading policies needs it") }
    }

    /// Checks and stores an uploaded pack, inactive. Returns its version record, and whether it
    /// is new: a pack whose version (the hash of its canonical form) is already stored, reformatted
    /// or not, stores nothing and returns the stored record.
    public func upload(policy name: String, text: String, by principal: Principal) async throws(GatewayError)
        -> (record: PolicyVersionRecord, created: Bool)
    {
        try authorizeUpload(by: principal)
        let pack: PolicyPack
        // A pack of several files (a directory, as `policy:` names one) is uploaded as one YAML
        // stream, its files as documents separated by `---` lines: each document is one file.
        let files = PackText.documents(of: text, named: name)
        do throws(PolicyError) {
            pack = files.count == 1 ? try PolicyPack.load(name: name + ".yaml", text: text) : try PolicyPack.load(files: files)
        } catch {
            throw GatewayError(
                .invalidPolicy, title: "Policy does not check", detail: "the pack has \(error.problems.count) problem(s); nothing was stored",
                errors: error.problems.map { ($0.location.description, $0.message) })
        }
        let unknownPools = Set(pack.pools.map(\.name)).filter { pool in
            !principals.principals.contains { $0.pools.contains(pool) }
        }
        if !unknownPools.isEmpty {
            throw GatewayError(
                .invalidPolicy, title: "Policy names unknown pools",
                detail: "no principal belongs to pool(s) \(unknownPools.sorted().joined(separator: ", ")); nothing was stored")
        }
        do {
            if let stored = try await store.policyVersion(hash: pack.version) {
                return (stored, false)
            }
            var change = StoreChange(at: clock.now())
            change.recordPolicyVersion(
                NewPolicyVersion(
                    name: pack.name, hash: pack.version, text: PackText.encode(files.count == 1 ? [(name + ".yaml", text)] : files),
                    createdBy: principal.id))
            _ = try await store.apply(change)
            guard let record = try await store.policyVersion(hash: pack.version) else {
                throw GatewayError.notFound("policy version \(pack.version) vanished")
            }
            return (record, true)
        } catch let error as GatewayError {
            throw error
        } catch let error as StoreError where error.code == .policyConflict {
            // The same version stored meanwhile by a concurrent upload, reformatted: it is stored.
            if let stored = try? await store.policyVersion(hash: pack.version) { return (stored, false) }
            throw .conflict(error.message)
        } catch {
            throw .unavailable(error)
        }
    }

    /// Makes a stored version the active one (activating an earlier version is the rollback).
    public func activate(policyVersion given: String, by principal: Principal) async throws(GatewayError)
        -> PolicyVersionRecord
    {
        guard principal.has(.admin) else { throw .forbidden("'\(principal.id)' is not an admin; activating policies needs it") }
        do {
            let (record, pack) = try await storedPack(given, notFound: "no policy version '\(given)'", refused: "it stays inactive")
            let hash = record.hash
            var change = StoreChange(at: clock.now())
            change.activatePolicyVersion(
                hash: hash, by: principal.id,
                audit: AuditEntry(
                    kind: .policyActivated, actor: principal.id,
                    payload: CanonicalJSON.encode(Self.policyPayload(pack, reason: "activated through the API")),
                    policyVersion: hash))
            _ = try await store.apply(change)
            activate(pack)
            // Approvals given under the old rules must not execute what the new ones forbid.
            await redecideOpenReviews(by: principal.id)
            return try await store.policyVersion(hash: hash) ?? record
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .unavailable(error)
        }
    }

    /// A stored version and its pack; `notFound` when it is not stored, `invalidPolicy` (with the
    /// problems, and `refused` saying what follows) when it no longer checks — stored by an
    /// Airlock whose checks this one has since tightened.
    ///
    /// `hash` may be the version's first hex digits, as reports print it (12); several stored
    /// versions starting so is a 400 naming them.
    func storedPack(_ hash: String, notFound: String, refused: String) async throws -> (PolicyVersionRecord, PolicyPack) {
        var found = try await store.policyVersion(hash: hash)
        if found == nil {
            do {
                found = try await store.policyVersion(hash: try await fullPolicyVersion(hash))
            } catch let error as GatewayError where error.kind == .notFound {
                throw GatewayError.notFound(notFound)
            }
        }
        guard let record = found else { throw GatewayError.notFound(notFound) }
        do {
            return (record, try PackText.load(record.text))
        } catch let error as PolicyError {
            throw GatewayError(
                .invalidPolicy, title: "Policy does not check",
                detail: "stored policy version \(hash) no longer checks (\(error.problems.count) problem(s)); \(refused)",
                errors: error.problems.map { ($0.location.description, $0.message) })
        }
    }
}
