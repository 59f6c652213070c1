import Foundation

/// A parsed JSON answer, read with subscripts: `reply.json["approvals"]["received"][0]["reviewer"].string`.
/// Reading a member that is not there gives `.missing`, so a wrong shape fails the expectation
/// that reads it rather than crashing.
public struct JSON: @unchecked Sendable, CustomStringConvertible {
    private let value: Any?

    public init(text: String) {
        value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    private init(_ value: Any?) { self.value = value }

    public static let missing = JSON(nil as Any?)

    public subscript(key: String) -> JSON {
        JSON((value as? [String: Any])?[key])
    }

    public subscript(index: Int) -> JSON {
        guard let array = value as? [Any], array.indices.contains(index) else { return .missing }
        return JSON(array[index])
    }

    public var exists: Bool { value != nil }
    public var isNull: Bool { value is NSNull }
    public var string: String? { value as? String }
    public var int: Int? { (value as? NSNumber).map(\.intValue) }
    public var double: Double? { (value as? NSNumber).map(\.doubleValue) }
    public var bool: Bool? { value as? Bool }
    public var array: [JSON] { (value as? [Any])?.map(JSON.init) ?? [] }
    public var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }
    public var isObject: Bool { value is [String: Any] }

    public var description: String {
        guard let value, JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return String(describing: value) }
        return String(decoding: data, as: UTF8.self)
    }
}
