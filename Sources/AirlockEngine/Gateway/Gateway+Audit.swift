import AirlockStore
import Crypto
import Foundation

extension Gateway {
    /// Up to `limit` audit records after `seq` (auditors and admins).
    public func auditRecords(after seq: Int64, limit: Int, for principal: Principal) async throws(GatewayError)
        -> [AuditRecord]
    {
        guard principal.has(.auditor) || principal.has(.admin) else {
            throw .forbidden("'\(principal.id)' may not read the audit log (auditor or admin)")
        }
        do { return try await store.auditRecords(after: seq, limit: min(max(limit, 1), 1000)) } catch { throw .unavailable(error) }
    }

    /// Verifies the whole audit log against the gateway's signing key (auditors and admins).
    public func verifyAudit(for principal: Principal) async throws(GatewayError) -> AuditVerificationReport {
        guard principal.has(.auditor) || principal.has(.admin) else {
            throw .forbidden("'\(principal.id)' may not verify the audit log (auditor or admin)")
        }
        guard let key = auditPublicKey else {
            throw GatewayError(.unavailable, title: "No signing key", detail: "the gateway has no audit signing key to verify against")
        }
        do { return try await store.verifyAudit(publicKey: key) } catch { throw .unavailable(error) }
    }
}
