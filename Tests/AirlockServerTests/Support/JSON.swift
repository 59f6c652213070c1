import Foundation

/// A parsed JSON answer, read with subscripts: `reply.json["approvals"]["received"][0]["reviewer"].string`.
/// Reading a member that is not there gives `.missing`, so a wrong shape fails the expectation
/// that reads it rather than crashing.
struct JSON: @unchecked Sendable, CustomStringConvertible {
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

    var exists: Bool { value != nil }
    var isNull: Bool { value is NSNull }
    var string: String? { value as? String }
    var int: Int? { (value as? NSNumber).map(\.intValue) }
    var double: Double? { (value as? NSNumber).map(\.doubleValue) }
    var bool: Bool? { value as? Bool }
    var array: [JSON] { (value as? [Any])?.map(JSON.init) ?? [] }
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }

    var description: String {
        guard let value, JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return String(describing: value) }
        return String(decoding: data, as: UTF8.self)
    }
}
