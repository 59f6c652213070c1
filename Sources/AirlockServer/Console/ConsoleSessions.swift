import AirlockEngine
import AirlockStore
import Crypto
import Foundation
import Hummingbird
import Synchronization

/// The console's sessions: a reviewer's key is exchanged once for a session cookie signed with
/// the instance's console key, so the key itself is never kept by the browser.
///
/// The cookie carries `session id | principal id | expiry | key fingerprint` and an HMAC-SHA256
/// over them (a principal given a new key is signed out everywhere); nothing
/// is stored per session on the server, so a restart keeps reviewers signed in and instances
/// sharing a state directory share sessions. Signing out forgets the cookie in the browser and
/// revokes the session id in this process until it would have expired. Every form carries a
/// CSRF token derived from the session id (for the sign-in form, from a short-lived nonce
/// cookie), and the cookies are `HttpOnly; SameSite=Strict`.
final class ConsoleSessions: Sendable {
    /// One signed-in reviewer.
    struct Session: Sendable, Hashable {
        var id: String
        var principalID: String
        var expires: Date
        /// The fingerprint of the key the session was opened with: a new key ends it.
        var keyFingerprint: String
    }

    static let cookieName = "airlock_session"
    static let signInCookieName = "airlock_sign_in"
    static let flashCookieName = "airlock_flash"
    /// How long a session lasts after sign-in.
    static let lifetime: TimeInterval = 8 * 3_600
    /// How long a sign-in form stays valid.
    static let signInLifetime: TimeInterval = 15 * 60

    /// The signing key's bytes (a `SymmetricKey` is made per use: it is not `Sendable`).
    private let keyBytes: Data
    private let revoked = Mutex<[String: Date]>([:])

    init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Data($0) }
    }

    /// The key kept in `console-session.key` of the state directory (32 random bytes, mode
    /// 0600), created on first use.
    static func key(in directory: StateDirectory) throws -> SymmetricKey {
        let url = directory.url.appendingPathComponent("console-session.key")
        if let data = try? Data(contentsOf: url) {
            guard data.count == 32 else {
                throw ConsoleKeyError(path: url.path, message: "holds \(data.count) bytes, not 32; remove it to make a new one")
            }
            return SymmetricKey(data: data)
        }
        try directory.create()
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConsoleKeyError(path: url.path, message: "cannot be written")
        }
        return key
    }

    /// A new session for a principal, and its cookie value.
    func issue(for principalID: String, keyFingerprint: String, now: Date) -> (session: Session, value: String) {
        let session = Session(
            id: Self.randomToken(), principalID: principalID, expires: now.addingTimeInterval(Self.lifetime), keyFingerprint: keyFingerprint)
        let payload = "\(session.id)|\(session.principalID)|\(Int64(session.expires.timeIntervalSince1970))|\(keyFingerprint)"
        let body = Data(payload.utf8).base64URLEncoded
        return (session, body + "." + mac(body))
    }

    /// The session a cookie value names, if its signature holds, it has not expired and was not
    /// signed out.
    func session(from value: String?, now: Date) -> Session? {
        guard let value, let dot = value.lastIndex(of: ".") else { return nil }
        let body = String(value[..<dot])
        let signature = String(value[value.index(after: dot)...])
        guard Self.constantTimeEqual(signature, mac(body)), let data = Data(base64URLEncoded: body),
            let payload = String(data: data, encoding: .utf8)
        else { return nil }
        let parts = payload.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, let seconds = Int64(parts[2]) else { return nil }
        let session = Session(
            id: String(parts[0]), principalID: String(parts[1]), expires: Date(timeIntervalSince1970: Double(seconds)),
            keyFingerprint: String(parts[3]))
        guard session.expires > now, revoked.withLock({ $0[session.id] == nil }) else { return nil }
        return session
    }

    /// Signs a session out: its cookie is refused from now on.
    func revoke(_ session: Session, now: Date) {
        revoked.withLock { revoked in
            revoked = revoked.filter { $0.value > now }  // forget what has expired anyway
            revoked[session.id] = session.expires
        }
    }

    /// The CSRF token of a session's forms.
    func csrfToken(for session: Session) -> String { mac("csrf|" + session.id) }

    /// The CSRF token of the sign-in form shown with `nonce`.
    func signInToken(nonce: String) -> String { mac("sign-in|" + nonce) }

    /// Whether a presented token is the expected one.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// 128 random bits, base64url.
    static func randomToken() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.base64URLEncoded
    }

    private func mac(_ text: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: keyBytes))).base64URLEncoded
    }
}

/// The console key file cannot be used.
struct ConsoleKeyError: Error, CustomStringConvertible {
    var path: String
    var message: String
    var description: String { "the console session key \(path) \(message)" }
}

extension Data {
    /// Base64url without padding (RFC 4648, 5): safe in cookies and URLs.
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
