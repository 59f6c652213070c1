import Foundation

/// A parsed JSON answer, read with subscripts: `reply.json["items"][0]["id"].string`. Reading a
/// member that is not there gives `.missing`, so a wrong shape fails the expectation that reads it
/// rather than crashing.
struct JSON: @unchecked Sendable {
    private let value: Any?

    init(text: String) {
        value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    private init(_ value: Any?) { self.value = value }

    static let missing = JSON(nil as Any?)

    subscript(key: String) -> JSON {
        JSON((value as? [String: Any])?[key])
    }

    subscript(index: Int) -> JSON {
        guard let array = value as? [Any], array.indices.contains(index) else { return .missing }
        return JSON(array[index])
    }

    var string: String? { value as? String }
    var array: [JSON] { (value as? [Any])?.map(JSON.init) ?? [] }
}
