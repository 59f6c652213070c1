import AirlockCore
import Foundation
import Yams

extension ExecutorConfiguration {
    /// Reads the `executors:` section of a configuration file: a mapping of resource name to
    /// `{kind: sql|http|none, …}` (keys in `docs/executors.md`). Every problem says file, line
    /// and column.
    ///
    /// - Parameters:
    ///   - node: the value of the `executors` key.
    ///   - file: the configuration file; relative database paths are taken relative to its folder.
    ///   - environment: where `secret_env` names are looked up.
    public static func parse(
        _ node: Node, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> ExecutorConfiguration {
        let reader = ConfigReader(file: file)
        let base = (file as NSString).deletingLastPathComponent
        var configuration = ExecutorConfiguration()
        guard case .mapping(let mapping) = node else {
            throw reader.error(node, "executors must be a mapping of resource names to executors")
        }
        for (key, value) in mapping {
            let resource = try reader.string(key, what: "a resource name")
            let map = try reader.mapping(value, allowed: nil, what: "the executor of \(resource)")
            guard let kindNode = map["kind"] else {
                throw reader.error(value, "the executor of \(resource) needs a kind: sql, http or none")
            }
            let kind: Kind
            switch try reader.string(kindNode, what: "kind") {
            case "sql": kind = .sql(try sqlMapping(value, of: resource, reader: reader, base: base))
            case "http": kind = .http(try httpSettings(value, of: resource, reader: reader, environment: environment))
            case "none":
                _ = try reader.mapping(value, allowed: ["kind"], what: "the executor of \(resource)")
                kind = .none
            case let other:
                throw reader.error(kindNode, "unknown executor kind '\(other)' (kinds: sql, http, none)")
            }
            configuration.entries.append(
                Entry(resource: resource, kind: kind, file: file, line: key.mark?.line, column: key.mark?.column))
        }
        return configuration
    }

    // MARK: sql

    private static func sqlMapping(_ node: Node, of resource: String, reader: ConfigReader, base: String)
        throws(ConfigurationError) -> SQLMapping
    {
        let what = "the sql executor of \(resource)"
        let map = try reader.mapping(node, allowed: ["kind", "database", "table", "key", "fields"], what: what)
        func required(_ name: String) throws(ConfigurationError) -> (String, Node) {
            guard let value = map[name] else { throw reader.error(node, "\(what) needs '\(name)'") }
            return (try reader.string(value, what: name), value)
        }
        let (path, _) = try required("database")
        let (table, tableNode) = try required("table")
        guard SQLMapping.isPlainIdentifier(table) else {
            throw reader.error(tableNode, "table '\(table)' is not a plain SQL name (letters, digits, _)")
        }
        var keyColumn = "id"
        if let node = map["key"] {
            keyColumn = try reader.string(node, what: "key")
            guard SQLMapping.isPlainIdentifier(keyColumn) else {
                throw reader.error(node, "key '\(keyColumn)' is not a plain SQL name (letters, digits, _)")
            }
        }
        guard let fieldsNode = map["fields"] else { throw reader.error(node, "\(what) needs 'fields'") }
        var fields: [SQLMapping.Field] = []
        switch fieldsNode {
        case .sequence(let items):
            for item in items {
                let name = try reader.string(item, what: "a field")
                fields.append(.init(name: name, column: name))
            }
        case .mapping:
            for (name, columnNode) in try reader.mapping(fieldsNode, allowed: nil, what: "fields") {
                fields.append(.init(name: name, column: try reader.string(columnNode, what: "the column of \(name)")))
            }
        default:
            throw reader.error(fieldsNode, "fields must be a list of names or a mapping of field to column")
        }
        guard !fields.isEmpty else { throw reader.error(fieldsNode, "fields must name at least one field") }
        var seen: Set<String> = []
        for field in fields {
            guard SQLMapping.isPlainIdentifier(field.column) else {
                throw reader.error(fieldsNode, "column '\(field.column)' is not a plain SQL name (letters, digits, _)")
            }
            guard seen.insert(field.name).inserted else {
                throw reader.error(fieldsNode, "field '\(field.name)' is mapped twice")
            }
        }
        let absolute = path.hasPrefix("/") || base.isEmpty ? path : base + "/" + path
        return SQLMapping(databasePath: absolute, table: table, keyColumn: keyColumn, fields: fields)
    }

    // MARK: http

    private static func httpSettings(
        _ node: Node, of resource: String, reader: ConfigReader, environment: [String: String]
    ) throws(ConfigurationError) -> HTTPExecutorSettings {
        let what = "the http executor of \(resource)"
        let map = try reader.mapping(
            node, allowed: ["kind", "create", "update", "delete", "read", "compensate", "secret_env", "timeout", "retry", "concurrency"],
            what: what)
        var endpoints: [Mutation.Operation: HTTPEndpoint] = [:]
        for operation in Mutation.Operation.allCases {
            if let node = map[operation.rawValue] {
                endpoints[operation] = try endpoint(
                    node, default: operation, what: "\(operation.rawValue) of \(resource)", reader: reader)
            }
        }
        guard !endpoints.isEmpty else { throw reader.error(node, "\(what) needs at least one of create, update, delete") }
        var compensations: [Mutation.Operation: HTTPEndpoint] = [:]
        if let node = map["compensate"] {
            for (name, value) in try reader.mapping(node, allowed: ["create", "update", "delete"], what: "compensate") {
                let operation = Mutation.Operation(rawValue: name)!
                compensations[operation] = try endpoint(
                    value, default: operation.undoing, what: "compensate.\(name) of \(resource)", reader: reader)
            }
        }
        let readURL = try map["read"].map { node throws(ConfigurationError) in
            let url = try reader.string(node, what: "read")
            guard isHTTPURL(url) else { throw reader.error(node, "read must be an http or https URL (got '\(url)')") }
            return url
        }
        guard let secretNode = map["secret_env"] else {
            throw reader.error(node, "\(what) needs secret_env: the environment variable holding its HMAC secret")
        }
        let variable = try reader.string(secretNode, what: "secret_env")
        guard let secret = environment[variable], !secret.isEmpty else {
            throw reader.error(secretNode, "environment variable \(variable) (secret_env of \(resource)) is not set")
        }
        var settings = HTTPExecutorSettings(
            endpoints: endpoints, readURL: readURL, compensations: compensations, secret: Array(secret.utf8))
        if let node = map["timeout"] { settings.timeout = try duration(node, what: "timeout", reader: reader) }
        if let node = map["concurrency"] {
            guard let n = Int(try reader.string(node, what: "concurrency")), (1...256).contains(n) else {
                throw reader.error(node, "\(what): concurrency must be a whole number from 1 to 256")
            }
            settings.concurrency = n
        }
        if let node = map["retry"] {
            var retry = RetryPolicy()
            let keys: Set<String> = ["attempts", "initial_delay", "max_delay"]
            for (name, value) in try reader.mapping(node, allowed: keys, what: "retry") {
                switch name {
                case "attempts":
                    guard let n = Int(try reader.string(value, what: "retry.attempts")), (1...20).contains(n) else {
                        throw reader.error(value, "retry.attempts must be a whole number from 1 to 20")
                    }
                    retry.attempts = n
                case "initial_delay": retry.initialDelay = try duration(value, what: "retry.initial_delay", reader: reader)
                default: retry.maximumDelay = try duration(value, what: "retry.max_delay", reader: reader)
                }
            }
            settings.retry = retry
        }
        return settings
    }

    /// `{method, url}`, or a string: `METHOD URL`, or a URL alone (the operation's usual method).
    private static func endpoint(_ node: Node, default operation: Mutation.Operation, what: String, reader: ConfigReader)
        throws(ConfigurationError) -> HTTPEndpoint
    {
        var method = operation.usualMethod
        let url: String
        switch node {
        case .scalar:
            let parts = try reader.string(node, what: what).split(separator: " ", omittingEmptySubsequences: true)
            switch parts.count {
            case 1: url = String(parts[0])
            case 2:
                method = String(parts[0])
                url = String(parts[1])
            default: throw reader.error(node, "\(what) must be 'METHOD URL', a URL, or {method, url}")
            }
        default:
            let map = try reader.mapping(node, allowed: ["method", "url"], what: what)
            if let methodNode = map["method"] { method = try reader.string(methodNode, what: "method") }
            guard let urlNode = map["url"] else { throw reader.error(node, "\(what) needs a url") }
            url = try reader.string(urlNode, what: "url")
        }
        let upper = method.uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(upper) else {
            throw reader.error(node, "\(what): unknown method '\(method)' (GET, POST, PUT, PATCH, DELETE)")
        }
        guard isHTTPURL(url) else { throw reader.error(node, "\(what): '\(url)' is not an http or https URL") }
        return HTTPEndpoint(method: upper, url: url)
    }

    private static func isHTTPURL(_ text: String) -> Bool {
        let probe = text.replacingOccurrences(of: "{target}", with: "x").replacingOccurrences(of: "{mutation_id}", with: "x")
        guard let url = URL(string: probe), let scheme = url.scheme?.lowercased(), url.host != nil else { return false }
        return scheme == "http" || scheme == "https"
    }

    /// `250ms`, `2s`, `1.5s`, `1m`, or a number of seconds.
    private static func duration(_ node: Node, what: String, reader: ConfigReader) throws(ConfigurationError) -> Duration {
        let text = try reader.string(node, what: what).trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        var number = text
        var scale = 1.0
        for unit in units where text.hasSuffix(unit.suffix) {
            number = String(text.dropLast(unit.suffix.count))
            scale = unit.seconds
            break
        }
        guard let value = Double(number), value.isFinite, value > 0, value * scale <= 3600 else {
            throw reader.error(node, "\(what) must be a positive duration up to 1h, e.g. 250ms, 10s or 1m (got '\(text)')")
        }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }
}

extension Mutation.Operation {
    /// The method an HTTP service usually takes for this operation.
    fileprivate var usualMethod: String {
        switch self {
        case .create: "POST"
        case .update: "PATCH"
        case .delete: "DELETE"
        }
    }

    /// The operation that undoes this one, for a compensating request's usual method.
    fileprivate var undoing: Mutation.Operation {
        switch self {
        case .create: .delete
        case .update: .update
        case .delete: .create
        }
    }
}
