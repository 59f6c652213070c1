import CEL
import Foundation
import Yams

/// Which upstream tools mutate what, for `airlock mcp proxy`:
///
/// ```yaml
/// wait_seconds: 300          # how long a held call waits for its approvals (1 to 3600; default 300)
/// unmapped: refuse           # a tool not listed: refuse (default) or pass
/// tools:
///   get_balance: pass        # a read: forwarded as it is
///   transfer_funds:
///     resource: payments.transfer
///     operation: create
///     fields: { amount: amount, currency: currency, from: from_account, to: to_account }
///   update_customer_email:
///     resource: crm.customer
///     operation: update
///     target: customer_id    # the argument holding the record's id
///     fields: { email: email }
/// ```
///
/// A mapped call with an argument that is neither a field nor the target is refused: Airlock
/// cannot check what it does not see.
public struct ProxyMapping: Sendable {
    /// How an upstream tool is treated.
    public enum Rule: Sendable {
        /// Forwarded without a mutation (a read).
        case pass
        /// A mutation of `resource`, decided before the call is forwarded.
        case mutation(resource: String, operation: String, target: String?, fields: [String: String])
    }

    public var waitSeconds: Double = 300
    public var passUnmapped = false
    public var tools: [String: Rule] = [:]

    public init() {}

    /// Reads a mapping; errors name the file, line and column.
    public static func parse(_ text: String, file: String) throws -> ProxyMapping {
        func fail(_ node: Node?, _ message: String) -> ProxyMappingError {
            ProxyMappingError(file: file, line: node?.mark.map { $0.line }, column: node?.mark.map { $0.column }, message: message)
        }
        let root: Node
        do {
            guard let parsed = try Yams.compose(yaml: text) else { throw fail(nil, "the mapping is empty") }
            root = parsed
        } catch let error as ProxyMappingError {
            throw error
        } catch {
            throw ProxyMappingError(file: file, line: nil, column: nil, message: "not YAML: \(error)")
        }
        guard let top = root.mapping else { throw fail(root, "the mapping must be a YAML mapping (wait_seconds, unmapped, tools)") }
        var mapping = ProxyMapping()
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            switch key {
            case "wait_seconds":
                guard let seconds = value.string.flatMap(Double.init), seconds >= 1, seconds <= 3_600 else {
                    throw fail(value, "wait_seconds must be a number of seconds from 1 to 3600")
                }
                mapping.waitSeconds = seconds
            case "unmapped":
                switch value.string {
                case "refuse": mapping.passUnmapped = false
                case "pass": mapping.passUnmapped = true
                default: throw fail(value, "unmapped must be refuse or pass")
                }
            case "tools":
                guard let tools = value.mapping else { throw fail(value, "tools must map tool names to pass or {resource, operation, target, fields}") }
                for (nameNode, rule) in tools {
                    let name = nameNode.string ?? ""
                    if rule.string == "pass" {
                        mapping.tools[name] = .pass
                        continue
                    }
                    guard let entry = rule.mapping else { throw fail(rule, "tool '\(name)': pass, or a mapping {resource, operation, target, fields}") }
                    var resource: String?
                    var operation = "update"
                    var target: String?
                    var fields: [String: String] = [:]
                    for (fieldNode, item) in entry {
                        switch fieldNode.string ?? "" {
                        case "resource": resource = item.string
                        case "operation":
                            guard let op = item.string, ["create", "update", "delete"].contains(op) else {
                                throw fail(item, "tool '\(name)': operation must be create, update or delete")
                            }
                            operation = op
                        case "target": target = item.string
                        case "fields":
                            guard let pairs = item.mapping else { throw fail(item, "tool '\(name)': fields maps arguments to the resource's fields") }
                            for (argument, field) in pairs {
                                guard let a = argument.string, let f = field.string else { throw fail(argument, "tool '\(name)': fields must map names to names") }
                                fields[a] = f
                            }
                        default:
                            throw fail(fieldNode, "tool '\(name)': unknown key '\(fieldNode.string ?? "")' (resource, operation, target, fields)")
                        }
                    }
                    guard let resource, !resource.isEmpty else { throw fail(rule, "tool '\(name)' needs a resource") }
                    // Two arguments for one field would let the upstream see a value Airlock did not check.
                    let duplicated = Dictionary(grouping: fields, by: \.value).filter { $0.value.count > 1 }.keys.sorted()
                    if let field = duplicated.first {
                        throw fail(rule, "tool '\(name)': two arguments map to the field \(field)")
                    }
                    if let target, fields[target] != nil {
                        throw fail(rule, "tool '\(name)': \(target) is the target and a field at once")
                    }
                    if operation != "create", target == nil {
                        throw fail(rule, "tool '\(name)': an \(operation) needs target: the argument holding the record's id")
                    }
                    mapping.tools[name] = .mutation(resource: resource, operation: operation, target: target, fields: fields)
                }
            default:
                throw fail(keyNode, "unknown key '\(key)' (wait_seconds, unmapped, tools)")
            }
        }
        return mapping
    }

    /// The mutation a mapped call proposes, or why it cannot be checked.
    public static func mutation(
        resource: String, operation: String, target: String?, fields: [String: String], arguments: Value
    ) -> Result<Value, ProxyRefusal> {
        var changes = CELMap()
        var mutation = CELMap()
        mutation["resource"] = .string(resource)
        mutation["operation"] = .string(operation)
        guard case .map(let map) = arguments else { return .success(.map(mutation)) }
        for (key, value) in map.entries {
            guard case .string(let argument) = key else { continue }
            if argument == target {
                guard case .string(let id) = value else { return .failure(ProxyRefusal("the argument \(argument) (the record's id) must be a string")) }
                mutation["target"] = .string(id)
            } else if let field = fields[argument] {
                changes[field] = value
            } else {
                return .failure(ProxyRefusal(
                    "the argument '\(argument)' is not mapped to a field of \(resource), so Airlock cannot check it; the call was not forwarded"))
            }
        }
        if let target, mutation["target"] == nil {
            return .failure(ProxyRefusal("the call lacks \(target), the id of the record to change"))
        }
        if operation != "delete" { mutation["changes"] = .map(changes) }
        return .success(.map(mutation))
    }
}

/// Why a call is refused before it reaches the gateway.
public struct ProxyRefusal: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A mapping that does not read.
public struct ProxyMappingError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(message)"
    }
}
