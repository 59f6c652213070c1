import AirlockCore
import AirlockStore
import CEL
import Foundation
import Yams

/// The gateway's configuration: where it listens, where it keeps its state, which policy it
/// loads and who may call it. Read from `airlock.yaml` (``load(file:)``) or built from the
/// embedded defaults (``embeddedDefaults(stateDirectory:)``).
public struct GatewayConfiguration: Sendable {
    /// Host and port to listen on.
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// The state directory: database and audit signing key.
    public var stateDirectory: String = ".airlock"
    /// The policy pack: a YAML file or a directory of them.
    public var policyPath: String = "examples/policies"
    /// The principals and their key hashes.
    public var principals = PrincipalDirectory()
    /// `synchronous=FULL` (every acknowledged decision survives power loss) or `NORMAL`.
    public var synchronousFull = true
    /// The PostgreSQL database shared by several instances (`store: {postgres: …}` or
    /// `AIRLOCK_DATABASE_URL`); `nil` keeps the SQLite database of the state directory.
    public var postgres: PostgresSettings?
    /// How often reconciliation rounds run, and how long an execution or rollback must stand still
    /// before one takes it up (`reconciliation: {interval, stale_after}`).
    public var reconcileInterval: Double = 30
    public var reconcileStaleAfter: Double = ReconciliationService.defaultStaleAfter
    /// Sign an audit checkpoint after this many records…
    public var checkpointEvery = 1000
    /// …or this many seconds, whichever comes first.
    public var checkpointSeconds: Double = 60
    /// The audit witness (`audit: {witness: PATH}`): a file outside the state directory that
    /// every signed checkpoint is appended to, and that `audit verify` checks the log against.
    public var witnessPath: String?
    /// The executor of each resource (`executors:`); resources without one are executed by
    /// their callers, who report the outcome.
    public var executors = ExecutorConfiguration()
    /// The webhook targets events are delivered to (`notify:`); a principal's own target is on
    /// the principal.
    public var notify: [WebhookTarget] = []
    /// When drift checks compare and how far a distribution may move (`drift:`).
    public var drift = DriftSettings()
    /// The thresholds of the oversight checks (`oversight:`).
    public var oversight = Oversight.Settings()
    /// How much one request may ask (`limits:`).
    public var limits = RequestLimits()
    /// Each kind of principal's request rate (`rate_limits:`; a principal's `rate_limit` overrides it).
    public var rateLimits = RateLimits()
    /// Where the configuration came from, for messages.
    public var source: String = "embedded defaults"

    public init() {}

    /// Takes `AIRLOCK_DATABASE_URL` when it is set: it names the PostgreSQL database, over the
    /// configuration file's `store.postgres.url`.
    public mutating func applyDatabaseURL(from environment: [String: String]) {
        guard let url = environment["AIRLOCK_DATABASE_URL"], !url.isEmpty else { return }
        if postgres == nil { postgres = PostgresSettings(url: url) } else { postgres?.url = url }
    }

    /// The store's witness, if one is configured.
    public var witness: AuditWitness? {
        witnessPath.map { AuditWitness(url: URL(fileURLWithPath: $0)) }
    }

    /// Whether `path` is `directory` or lies under it, once both are absolute, standardized and
    /// their existing parts' symbolic links resolved.
    static func isInside(_ path: String, directory: String) -> Bool {
        let file = canonicalComponents(path)
        let folder = canonicalComponents(directory)
        return file.count >= folder.count && Array(file.prefix(folder.count)) == folder
    }

    /// The components of a path as the file system resolves it: each component in turn, a
    /// symbolic link replaced by its target (also a link whose target does not exist yet, which
    /// `realpath` refuses), `..` taken after the links before it (`link/..` is the parent of the
    /// link's target, not the folder holding the link), parts that do not exist kept as they are.
    /// (`resolvingSymlinksInPath()` leaves a path that does not exist as it is, so a link to the
    /// state directory followed by a new file's name passed for a folder outside it.)
    static func canonicalComponents(_ path: String) -> [String] {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var resolved: [String] = []
        var pending = absolute.split(separator: "/").map(String.init)
        var links = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part.isEmpty || part == "." { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = "/" + (resolved + [part]).joined(separator: "/")
            var info = stat()
            guard lstat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, links < 40,
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate)
            else {
                resolved.append(part)
                continue
            }
            links += 1
            // The link's target, read from where the link is (or from the root when absolute).
            if target.hasPrefix("/") { resolved = [] }
            pending = target.split(separator: "/").map(String.init) + pending
        }
        return ["/"] + resolved
    }

    /// Reads and checks a configuration file. Every problem says file, line and column.
    public static func load(file path: String) throws(ConfigurationError) -> GatewayConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, message: "cannot read the configuration file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text; relative paths in it are taken relative to the file's folder.
    public static func parse(
        _ text: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> GatewayConfiguration {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, line: 1, column: 1, message: "the configuration is empty")
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch let error as YamlError {
            throw ConfigurationError(file: file, message: "YAML syntax error: \(error)")
        } catch {
            throw ConfigurationError(file: file, message: "YAML syntax error: \(error)")
        }
        let reader = ConfigReader(file: file)
        var config = GatewayConfiguration()
        config.source = file
        let base = (file as NSString).deletingLastPathComponent
        func relative(_ path: String) -> String {
            path.hasPrefix("/") || base.isEmpty ? path : base + "/" + path
        }
        let top = try reader.mapping(
            root, allowed: [
                "listen", "state_dir", "policy", "principals", "store", "audit", "executors", "notify", "drift", "oversight",
                "reconciliation", "limits", "rate_limits",
            ],
            what: "the configuration")
        if let listen = top["listen"] {
            let text = try reader.string(listen, what: "listen")
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
            else {
                throw reader.error(listen, "listen must be HOST:PORT with a port from 1 to 65535, e.g. 127.0.0.1:8080 (got '\(text)')")
            }
            config.host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            guard !config.host.isEmpty else { throw reader.error(listen, "listen needs a host, e.g. 127.0.0.1:8080") }
            config.port = port
        }
        if let dir = top["state_dir"] { config.stateDirectory = relative(try reader.string(dir, what: "state_dir")) }
        if let policy = top["policy"] {
            config.policyPath = relative(try reader.string(policy, what: "policy"))
            guard FileManager.default.fileExists(atPath: config.policyPath) else {
                throw reader.error(policy, "policy '\(config.policyPath)' does not exist (a pack file or a directory of them)")
            }
        }
        if let store = top["store"] {
            let map = try reader.mapping(store, allowed: ["synchronous", "postgres"], what: "store")
            if let postgres = map["postgres"] {
                var settings = PostgresSettings(url: "")
                for (name, node) in try reader.mapping(postgres, allowed: ["url", "max_connections"], what: "store.postgres") {
                    let text = try reader.string(node, what: "store.postgres.\(name)")
                    switch name {
                    case "url":
                        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
                            throw reader.error(node, "store.postgres.url must be a postgres:// URL (postgres://user@host:5432/airlock)")
                        }
                        settings.url = text
                    default:
                        // One connection listens for the other instances' changes for as long as the
                        // server runs: the pool needs at least one more.
                        guard let n = Int(text), (2...1000).contains(n) else {
                            throw reader.error(node, "store.postgres.max_connections must be a number from 2 to 1000")
                        }
                        settings.maximumConnections = n
                    }
                }
                guard !settings.url.isEmpty || environment["AIRLOCK_DATABASE_URL"] != nil else {
                    throw reader.error(postgres, "store.postgres needs a url (or set AIRLOCK_DATABASE_URL)")
                }
                config.postgres = settings
            }
            if let sync = map["synchronous"] {
                switch try reader.string(sync, what: "store.synchronous").lowercased() {
                case "full": config.synchronousFull = true
                case "normal": config.synchronousFull = false
                default: throw reader.error(sync, "store.synchronous must be full or normal")
                }
            }
        }
        config.applyDatabaseURL(from: environment)
        if let reconciliation = top["reconciliation"] {
            for (name, node) in try reader.mapping(reconciliation, allowed: ["interval", "stale_after"], what: "reconciliation") {
                let text = try reader.string(node, what: "reconciliation.\(name)")
                guard let seconds = DurationText.seconds(text), seconds > 0 else {
                    throw reader.error(node, "reconciliation.\(name) must be a positive duration (30s, 5m), not '\(text)'")
                }
                if name == "interval" { config.reconcileInterval = Double(seconds) } else { config.reconcileStaleAfter = Double(seconds) }
            }
        }
        if let audit = top["audit"] {
            let map = try reader.mapping(audit, allowed: ["checkpoint_every", "checkpoint_seconds", "witness"], what: "audit")
            if let witness = map["witness"] {
                let path = relative(try reader.string(witness, what: "audit.witness"))
                guard !path.isEmpty, !Self.isInside(path, directory: config.stateDirectory) else {
                    throw reader.error(
                        witness,
                        "audit.witness must be a file outside state_dir (\(config.stateDirectory)): whoever can rewrite the "
                            + "database there could rewrite the witness too (got '\(path)')")
                }
                config.witnessPath = path
            }
            if let every = map["checkpoint_every"] {
                guard let n = Int(try reader.string(every, what: "audit.checkpoint_every")), n > 0 else {
                    throw reader.error(every, "audit.checkpoint_every must be a positive number of records")
                }
                config.checkpointEvery = n
            }
            if let seconds = map["checkpoint_seconds"] {
                guard let t = Double(try reader.string(seconds, what: "audit.checkpoint_seconds")), t > 0 else {
                    throw reader.error(seconds, "audit.checkpoint_seconds must be a positive number of seconds")
                }
                config.checkpointSeconds = t
            }
        }
        if let drift = top["drift"] {
            let map = try reader.mapping(drift, allowed: ["window", "reference", "threshold", "min_count", "latency_ratio", "min_votes"], what: "drift")
            for (name, node) in map {
                let text = try reader.string(node, what: "drift.\(name)")
                switch name {
                case "window", "reference":
                    guard let seconds = DurationText.seconds(text), seconds % 3600 == 0 else {
                        throw reader.error(node, "drift.\(name) must be whole hours (1h, 24h, 7d), not '\(text)'")
                    }
                    if name == "window" { config.drift.window = seconds } else { config.drift.reference = seconds }
                case "threshold":
                    guard let value = Double(text), value > 0 else {
                        throw reader.error(node, "drift.threshold must be a positive stability index (say 0.25), not '\(text)'")
                    }
                    config.drift.threshold = value
                case "latency_ratio":
                    guard let value = Double(text), value > 1 else {
                        throw reader.error(node, "drift.latency_ratio must be a factor above 1 (say 2), not '\(text)'")
                    }
                    config.drift.latencyRatio = value
                case "min_votes":
                    guard let n = Int(text), n > 0 else {
                        throw reader.error(node, "drift.min_votes must be a positive number of votes, not '\(text)'")
                    }
                    config.drift.minimumVotes = n
                default:
                    guard let n = Int(text), n > 0 else {
                        throw reader.error(node, "drift.min_count must be a positive number of decisions, not '\(text)'")
                    }
                    config.drift.minimumCount = n
                }
            }
        }
        if let oversight = top["oversight"] {
            let keys: Set<String> = ["min_review_seconds", "approval_rate", "min_votes", "burst", "overdue_growth", "window"]
            for (name, node) in try reader.mapping(oversight, allowed: keys, what: "oversight") {
                let text = try reader.string(node, what: "oversight.\(name)")
                switch name {
                case "min_review_seconds":
                    guard let value = Double(text), value > 0 else { throw reader.error(node, "oversight.min_review_seconds must be a positive number of seconds") }
                    config.oversight.minimumReviewSeconds = value
                case "approval_rate":
                    guard let value = Double(text), value > 0, value <= 1 else { throw reader.error(node, "oversight.approval_rate must be a share in (0, 1]") }
                    config.oversight.approvalRate = value
                case "window":
                    guard let seconds = DurationText.seconds(text) else { throw reader.error(node, "oversight.window must be a duration (24h, 7d)") }
                    config.oversight.window = seconds
                default:
                    guard let n = Int(text), n > 0 else { throw reader.error(node, "oversight.\(name) must be a positive whole number") }
                    switch name {
                    case "min_votes": config.oversight.minimumVotes = n
                    case "burst": config.oversight.burst = n
                    default: config.oversight.overdueGrowth = n
                    }
                }
            }
        }
        if let limits = top["limits"] {
            config.limits = try Self.parseLimits(limits, reader: reader)
        }
        if let rates = top["rate_limits"] {
            for (name, node) in try reader.mapping(rates, allowed: Set(Actor.Kind.allCases.map(\.rawValue)), what: "rate_limits") {
                config.rateLimits[Actor.Kind(rawValue: name)!] = try Self.parseRateLimit(node, what: "rate_limits.\(name)", reader: reader)
            }
        }
        if let executors = top["executors"] {
            config.executors = try ExecutorConfiguration.parse(executors, file: file, environment: environment)
        }
        if let notify = top["notify"] {
            guard case .sequence(let items) = notify else {
                throw reader.error(notify, "notify must be a list of webhook targets ({url, secret_env, events})")
            }
            for (index, item) in items.enumerated() {
                let target = try WebhookTarget.parse(item, what: "notify[\(index)]", reader: reader, environment: environment)
                guard !config.notify.contains(where: { $0.url == target.url }) else {
                    throw reader.error(item, "notify[\(index)]: the target \(target.url) is listed twice")
                }
                config.notify.append(target)
            }
        }
        if let list = top["principals"] {
            guard case .sequence(let items) = list else { throw reader.error(list, "principals must be a list") }
            var seen: Set<String> = []
            var ownerNodes: [String: Node] = [:]
            for item in items {
                let entry = try reader.mapping(
                    item,
                    allowed: [
                        "id", "kind", "roles", "key_sha256", "key_env", "pools", "owner", "attributes", "notify", "clearances",
                        "rate_limit",
                    ],
                    what: "a principal")
                guard let idNode = entry["id"] else { throw reader.error(item, "a principal needs an id") }
                let id = try reader.string(idNode, what: "id")
                guard seen.insert(id).inserted else { throw reader.error(idNode, "principal '\(id)' is declared twice") }
                let kindText = try entry["kind"].map { node throws(ConfigurationError) in try reader.string(node, what: "kind") } ?? "agent"
                guard let kind = Actor.Kind(rawValue: kindText) else {
                    throw reader.error(entry["kind"] ?? item, "kind must be agent, service or human (got '\(kindText)')")
                }
                var roles: Set<Role> = []
                for node in try reader.list(entry["roles"], what: "roles") {
                    let name = try reader.string(node, what: "a role")
                    guard let role = Role(rawValue: name) else {
                        throw reader.error(node, "unknown role '\(name)' (roles: submitter, reviewer, admin, auditor)")
                    }
                    roles.insert(role)
                }
                var pools: Set<String> = []
                for node in try reader.list(entry["pools"], what: "pools") { pools.insert(try reader.string(node, what: "a pool")) }
                var attributes: [String: String] = [:]
                if let node = entry["attributes"] {
                    for (key, value) in try reader.mapping(node, allowed: nil, what: "attributes") {
                        attributes[key] = try reader.string(value, what: "attributes.\(key)")
                    }
                }
                let owner = try entry["owner"].map { node throws(ConfigurationError) in try reader.string(node, what: "owner") }
                if let node = entry["owner"] { ownerNodes[id] = node }
                var principal = Principal(id: id, kind: kind, roles: roles, pools: pools, owner: owner, attributes: attributes)
                if let node = entry["clearances"] {
                    var clearances: Set<String> = []
                    for item in try reader.list(node, what: "clearances") {
                        clearances.insert(try reader.string(item, what: "a data class"))
                    }
                    principal.clearances = clearances
                }
                if let node = entry["rate_limit"] {
                    principal.rateLimit = try Self.parseRateLimit(node, what: "the rate_limit of '\(id)'", reader: reader)
                }
                if let node = entry["notify"] {
                    principal.notify = try WebhookTarget.parse(
                        node, what: "the notify target of '\(id)'", reader: reader, environment: environment)
                }
                switch (entry["key_sha256"], entry["key_env"]) {
                case (let hash?, nil):
                    do {
                        try config.principals.add(principal, keySHA256: try reader.string(hash, what: "key_sha256"))
                    } catch {
                        throw reader.error(hash, error.message)
                    }
                case (nil, let env?):
                    let name = try reader.string(env, what: "key_env")
                    guard let key = environment[name], !key.isEmpty else {
                        throw reader.error(env, "environment variable \(name) (key_env of '\(id)') is not set")
                    }
                    do {
                        try config.principals.add(principal, keySHA256: PrincipalDirectory.hash(key: key))
                    } catch {
                        throw reader.error(env, error.message)
                    }
                case (nil, nil):
                    config.principals.addWithoutKey(principal)
                case (_?, let env?):
                    throw reader.error(env, "principal '\(id)' has both key_sha256 and key_env; give one")
                }
            }
            // An owner chain that comes back to where it started would make everyone on it
            // accountable for everyone: refused, at the owner that closes the loop.
            for principal in config.principals.principals where principal.owner != nil {
                let chain = config.principals.ownerChain(of: principal.id)
                if chain.last == principal.id, let node = ownerNodes[principal.id] {
                    let path = ([principal.id] + chain).joined(separator: " → ")
                    throw reader.error(node, "the owners of '\(principal.id)' loop back to it (\(path))")
                }
            }
        }
        return config
    }
}

extension GatewayConfiguration {
    /// `limits: {body_bytes, json_depth, string_bytes, array_items, bulk_targets, wait_seconds,
    /// long_polls_per_principal}`: each a positive whole number.
    static func parseLimits(_ node: Node, reader: ConfigReader) throws(ConfigurationError) -> RequestLimits {
        var limits = RequestLimits()
        let keys: Set<String> = [
            "body_bytes", "json_depth", "string_bytes", "array_items", "bulk_targets", "wait_seconds", "long_polls_per_principal",
        ]
        for (name, value) in try reader.mapping(node, allowed: keys, what: "limits") {
            let text = try reader.string(value, what: "limits.\(name)")
            guard let n = Int(text), n > 0 else {
                throw reader.error(value, "limits.\(name) must be a positive whole number, not '\(text)'")
            }
            switch name {
            case "body_bytes": limits.bodyBytes = n
            case "json_depth":
                guard n <= Value.maximumJSONDepth else {
                    throw reader.error(value, "limits.json_depth must be at most \(Value.maximumJSONDepth), not \(n)")
                }
                limits.json.depth = n
            case "string_bytes": limits.json.stringBytes = n
            case "array_items": limits.json.items = n
            case "bulk_targets": limits.bulkTargets = n
            case "wait_seconds": limits.waitSeconds = n
            default: limits.longPollsPerPrincipal = n
            }
        }
        return limits
    }

    /// A rate limit: `none`, or `{rate: 100/s, burst: 200}` (the rate per second, `/s`, or per
    /// minute, `/m`; the burst defaults to twice the per-second rate, at least 1).
    static func parseRateLimit(_ node: Node, what: String, reader: ConfigReader) throws(ConfigurationError) -> RateLimit {
        if case .scalar(let scalar) = node, scalar.string == "none" { return .unlimited }
        let map = try reader.mapping(node, allowed: ["rate", "burst"], what: what)
        guard let rateNode = map["rate"] else { throw reader.error(node, "\(what) needs a rate (say 100/s), or is none") }
        let text = try reader.string(rateNode, what: "\(what).rate")
        var number = Substring(text)
        var per = 1.0
        if text.hasSuffix("/s") {
            number = text.dropLast(2)
        } else if text.hasSuffix("/m") {
            number = text.dropLast(2)
            per = 60
        }
        guard let count = Double(number.trimmingCharacters(in: .whitespaces)), count > 0, count.isFinite else {
            throw reader.error(rateNode, "\(what).rate must be a positive rate such as 100/s or 600/m, not '\(text)'")
        }
        let perSecond = count / per
        var burst = max(1, Int((perSecond * 2).rounded(.up)))
        if let burstNode = map["burst"] {
            let burstText = try reader.string(burstNode, what: "\(what).burst")
            guard let n = Int(burstText), n > 0 else {
                throw reader.error(burstNode, "\(what).burst must be a positive whole number of requests, not '\(burstText)'")
            }
            burst = n
        }
        return RateLimit(perSecond: perSecond, burst: burst)
    }
}

/// Reads YAML nodes strictly, with positions in every error.
struct ConfigReader {
    let file: String

    func error(_ node: Node, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark?.line, column: node.mark?.column, message: message)
    }

    func mapping(_ node: Node, allowed: Set<String>?, what: String) throws(ConfigurationError) -> [(String, Node)] {
        guard case .mapping(let mapping) = node else { throw error(node, "\(what) must be a mapping of keys to values") }
        var result: [(String, Node)] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            if let allowed, !allowed.contains(name) {
                let known = allowed.sorted().joined(separator: ", ")
                throw error(key, "unknown key '\(name)' in \(what) (known keys: \(known))")
            }
            result.append((name, value))
        }
        return result
    }

    func string(_ node: Node, what: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw error(node, "\(what) must be a single value") }
        return scalar.string
    }

    func list(_ node: Node?, what: String) throws(ConfigurationError) -> [Node] {
        guard let node else { return [] }
        switch node {
        case .sequence(let sequence): return Array(sequence)
        case .scalar: return [node]
        default: throw error(node, "\(what) must be a list")
        }
    }
}

extension [(String, Node)] {
    subscript(key: String) -> Node? { first { $0.0 == key }?.1 }
}

/// Where the PostgreSQL store is (`store: {postgres: {url, max_connections}}`).
public struct PostgresSettings: Sendable, Hashable {
    /// `postgres://user[:password]@host[:port]/database`, or `postgres://user@/database?host=/socket/dir`.
    public var url: String
    /// Connections the pool keeps at most.
    public var maximumConnections = 20

    public init(url: String) {
        self.url = url
    }

    /// The URL without its password, for messages and logs.
    public var redactedURL: String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
