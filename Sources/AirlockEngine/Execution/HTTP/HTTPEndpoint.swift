import Foundation

/// One call of an HTTP executor: a method and a URL template. `{target}` in the template
/// stands for the record's key and `{mutation_id}` for the mutation's id, both
/// percent-encoded.
public struct HTTPEndpoint: Sendable, Hashable {
    /// The HTTP method, upper case (`POST`).
    public var method: String
    /// The URL template (`https://billing.internal/invoices/{target}`).
    public var url: String

    public init(method: String, url: String) {
        self.method = method.uppercased()
        self.url = url
    }

    /// The URL for a record and a mutation; `nil` when the result is not a URL.
    public func url(target: String, mutationID: String) -> URL? {
        let text = url.replacingOccurrences(of: "{target}", with: Self.encoded(target))
            .replacingOccurrences(of: "{mutation_id}", with: Self.encoded(mutationID))
        return URL(string: text)
    }

    /// RFC 3986's unreserved characters: everything else in a key is percent-encoded.
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `text` with everything but RFC 3986's unreserved characters percent-encoded.
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
