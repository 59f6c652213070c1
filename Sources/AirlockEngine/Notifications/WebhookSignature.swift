import AirlockCore
import Crypto

/// The signature of a webhook delivery: `sha256=` and the hex HMAC-SHA256, under the target's
/// secret, of `"<timestamp>.<body>"`, where the timestamp is the `X-Airlock-Timestamp` header
/// (Unix seconds). A receiver recomputes it, compares in constant time, and refuses a timestamp
/// far from its own clock (a replay).
public enum WebhookSignature {
    /// The `X-Airlock-Signature` header's value.
    public static func sign(timestamp: String, body: [UInt8], secret: [UInt8]) -> String {
        var message = Array(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let code = HMAC<Crypto.SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret))
        return "sha256=" + Hex.encode(code)
    }
}
