import AirlockCore
import Foundation
import GRDB

/// Which executor applies each resource's mutations: the `executors:` section of the server
/// configuration, a mapping of resource name to settings (see `docs/executors.md`). A resource
/// without an entry is executed by its caller, as with `kind: none`.
public struct ExecutorConfiguration: Sendable {
    /// The kinds of executor and their settings.
    public enum Kind: Sendable {
        /// Rows of a SQLite table.
        case sql(SQLMapping)
        /// Calls to the owning service.
        case http(HTTPExecutorSettings)
        /// The caller applies changes and reports the outcome.
        case none
    }

    /// The executor of one resource, and where it was configured.
    public struct Entry: Sendable {
        /// The resource, as the policy pack names it.
        public var resource: String
        /// The executor.
        public var kind: Kind
        /// Where the entry is, for messages.
        public var file: String?
        public var line: Int?
        public var column: Int?

        public init(resource: String, kind: Kind, file: String? = nil, line: Int? = nil, column: Int? = nil) {
            self.resource = resource
            self.kind = kind
            self.file = file
            self.line = line
            self.column = column
        }

        func error(_ message: String) -> ConfigurationError {
            ConfigurationError(file: file, line: line, column: column, message: message)
        }
    }

    /// The entries, in configuration order.
    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// The entry of a resource.
    public subscript(resource: String) -> Entry? {
        entries.first { $0.resource == resource }
    }

    /// Checks the entries against a policy pack: every resource must exist in it, every mapped
    /// field must be one of its fields and every field mapped (`sql`), and every operation it
    /// allows must have a request (`http`).
    public func check(against pack: PolicyPack) throws(ConfigurationError) {
        for entry in entries {
            guard let schema = pack.resources[entry.resource] else {
                let known = pack.resourceOrder.joined(separator: ", ")
                throw entry.error("executor for unknown resource '\(entry.resource)' (the policy declares: \(known))")
            }
            switch entry.kind {
            case .none: break
            case .sql(let mapping):
                for field in mapping.fields where schema.fields[field.name] == nil {
                    let known = schema.fieldOrder.joined(separator: ", ")
                    throw entry.error("\(entry.resource) has no field '\(field.name)' (fields: \(known))")
                }
                for name in schema.fieldOrder where mapping.column(of: name) == nil {
                    throw entry.error(
                        "field '\(name)' of \(entry.resource) is not mapped to a column of table '\(mapping.table)'")
                }
            case .http(let settings):
                for operation in schema.operations where settings.endpoints[operation] == nil {
                    throw entry.error(
                        "\(entry.resource) allows \(operation) but its http executor has no '\(operation)' request")
                }
            }
        }
    }

    /// Builds the executors: opens each `sql` database (several resources on one file share a
    /// connection) and checks its table and columns.
    ///
    /// - Parameter clock: the gateway's clock: the time of the `applied_at` and `rolled_back_at`
    ///   markers, and what `http` executors wait on between retries.
    public func makeExecutors(clock: any GatewayClock = SystemClock()) throws(ConfigurationError) -> Executors {
        var executors: [String: any Executor] = [:]
        var databases: [String: DatabaseQueue] = [:]
        for entry in entries {
            do throws(ExecutorError) {
                switch entry.kind {
                case .none:
                    executors[entry.resource] = NoneExecutor()
                case .http(let settings):
                    executors[entry.resource] = HTTPExecutor(resource: entry.resource, settings: settings, clock: clock)
                case .sql(let mapping):
                    let path = URL(fileURLWithPath: mapping.databasePath).standardizedFileURL.path
                    let database: DatabaseQueue
                    if let open = databases[path] {
                        database = open
                    } else {
                        database = try SQLExecutor.open(mapping.databasePath, resource: entry.resource)
                        databases[path] = database
                    }
                    executors[entry.resource] = try SQLExecutor(
                        resource: entry.resource, mapping: mapping, database: database, clock: clock)
                }
            } catch {
                throw entry.error(error.message)
            }
        }
        return Executors(executors)
    }
}
