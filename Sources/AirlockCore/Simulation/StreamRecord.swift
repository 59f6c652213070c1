import CEL

/// One line of a simulation stream: who proposed what, when, and (for a labelled stream) whether
/// it was benign or bad.
///
/// A line is one JSON object (JSON Lines):
///
/// ```json
/// {"time": "2025-01-06T09:30:00Z", "actor": {"id": "agent-7", "kind": "agent"},
///  "mutation": {"resource": "payments.transfer", "operation": "create", "changes": {…}},
///  "label": "bad", "id": "case-17"}
/// ```
///
/// `time` (RFC 3339), `actor` (as `policy eval --actor` takes it) and `mutation` (as
/// `POST /v1/mutations` takes it) are required; `label` (`benign` or `bad`) and `id` (any text
/// that names the line in a report) are optional. Any other key refuses the line. A mutation that
/// does not conform to its schema is not a bad line: the gateway would refuse it, and so does the
/// simulation (it counts as invalid).
public struct StreamRecord: Sendable {
    /// What a labelled line says the mutation was.
    public enum Label: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A mutation that should go through.
        case benign
        /// A mutation that should not run without a person: a mistake, an attack, a runaway agent.
        case bad

        public var description: String { rawValue }
    }

    /// The keys a line may have.
    public static let jsonKeys = ["time", "actor", "mutation", "label", "id"]

    /// The 1-based line number in the stream (0 for a record not read from text).
    public var line: Int
    /// The line's own name for itself, if it gave one.
    public var id: String?
    /// When the mutation was proposed: the clock of its decision.
    public var time: Timestamp
    /// Who proposed it.
    public var actor: Actor
    /// The mutation, or the structural problems of a document that is not one (missing resource
    /// or operation, unknown keys, values of the wrong kind): such a line counts as invalid.
    public var mutation: Result<Mutation, ValidationFailure> {
        didSet { triaged = nil }
    }
    /// The resource the mutation names (`""` when it names none): what the report counts it under.
    public var resource: String
    /// Benign or bad, when the stream is labelled.
    public var label: Label?
    /// The mutation's triage, made ahead under the pack of this version (`PolicyEngine.triage(_ records:)`):
    /// a simulator of another pack triages it again, and a new mutation clears it.
    var triaged: (version: String, result: Result<PolicyEngine.Triage, ValidationFailure>)?

    /// A record of a mutation (for tests and generated streams).
    public init(line: Int = 0, time: Timestamp, actor: Actor, mutation: Mutation, label: Label? = nil, id: String? = nil) {
        self.line = line
        self.id = id
        self.time = time
        self.actor = actor
        self.mutation = .success(mutation)
        self.resource = mutation.resource
        self.label = label
    }

    /// Reads the record of line `line` from its JSON form.
    public init(jsonValue value: Value, line: Int) throws(StreamError) {
        self = try Self.read(value, line: line) { actorValue throws(StreamError) in
            try Self.actor(actorValue, line: line)
        }
    }

    /// Reads a record, making its actor with `makeActor` (a parser keeps the actors it has seen).
    static func read(_ value: Value, line: Int, makeActor: (Value) throws(StreamError) -> Actor) throws(StreamError)
        -> StreamRecord
    {
        guard case .map(let map) = value else {
            throw StreamError(line: line, field: "", message: "a stream line must be a JSON object, not \(value.typeValue.name)")
        }
        for key in map.keys {
            guard case .string(let name) = key, Self.jsonKeys.contains(name) else {
                var name = key.description
                if case .string(let text) = key { name = text }
                throw StreamError(
                    line: line, field: name,
                    message: Suggestion.message("unknown key in a stream line", word: name, candidates: Self.jsonKeys)
                        + " (a line has \(Self.jsonKeys.joined(separator: ", ")))")
            }
        }
        let time = try Self.time(map.value(forField: "time"), line: line)
        guard let actorValue = map.value(forField: "actor"), !actorValue.isNull else {
            throw StreamError(line: line, field: "actor", message: "is required ({\"id\": …, \"kind\": \"agent\"})")
        }
        let actor = try makeActor(actorValue)
        guard let document = map.value(forField: "mutation"), !document.isNull else {
            throw StreamError(line: line, field: "mutation", message: "is required")
        }
        guard case .map(let fields) = document else {
            throw StreamError(line: line, field: "mutation", message: "must be an object, not \(document.typeValue.name)")
        }
        let read = Mutation.read(jsonValue: document)
        let mutation: Result<Mutation, ValidationFailure>
        if let parsed = read.mutation, read.issues.isEmpty {
            mutation = .success(parsed)
        } else {
            mutation = .failure(ValidationFailure(issues: read.issues))
        }
        var resource = ""
        if case .string(let name)? = fields.value(forField: "resource") { resource = name }
        return StreamRecord(
            line: line, id: try Self.id(map, line: line), time: time, actor: actor, mutation: mutation,
            resource: resource, label: try Self.label(map, line: line))
    }

    init(
        line: Int, id: String?, time: Timestamp, actor: Actor, mutation: Result<Mutation, ValidationFailure>,
        resource: String, label: Label?
    ) {
        self.line = line
        self.id = id
        self.time = time
        self.actor = actor
        self.mutation = mutation
        self.resource = resource
        self.label = label
    }

    private static func time(_ value: Value?, line: Int) throws(StreamError) -> Timestamp {
        guard let value, !value.isNull else {
            throw StreamError(line: line, field: "time", message: "is required (RFC 3339, such as 2025-01-06T09:30:00Z)")
        }
        guard case .string(let text) = value else {
            throw StreamError(line: line, field: "time", message: "must be an RFC 3339 string, not \(value.typeValue.name)")
        }
        guard let time = RFC3339.parse(text) else {
            throw StreamError(
                line: line, field: "time", message: "'\(text)' is not an RFC 3339 time (such as 2025-01-06T09:30:00Z)")
        }
        return time
    }

    /// Reads an actor, naming the field of the first problem (`actor.kind`).
    static func actor(_ value: Value, line: Int) throws(StreamError) -> Actor {
        do throws(ValidationFailure) {
            return try Actor(jsonValue: value)
        } catch {
            let issue = error.issues.first ?? ValidationIssue(path: "", message: "is not an actor")
            let field = issue.path.isEmpty ? "actor" : "actor.\(issue.path)"
            throw StreamError(line: line, field: field, message: issue.message)
        }
    }

    private static func label(_ map: CELMap, line: Int) throws(StreamError) -> Label? {
        guard let value = map.value(forField: "label"), !value.isNull else { return nil }
        guard case .string(let text) = value, let label = Label(rawValue: text) else {
            throw StreamError(line: line, field: "label", message: "must be \"benign\" or \"bad\", not \(value)")
        }
        return label
    }

    private static func id(_ map: CELMap, line: Int) throws(StreamError) -> String? {
        guard let value = map.value(forField: "id"), !value.isNull else { return nil }
        switch value {
        case .string(let text): return text
        case .int(let n): return String(n)
        case .uint(let n): return String(n)
        default: throw StreamError(line: line, field: "id", message: "must be a string, not \(value.typeValue.name)")
        }
    }
}

extension Value {
    fileprivate var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension PolicyEngine {
    /// Validates and classifies the mutation of every record ahead of its simulation: work that
    /// does not depend on the history, so a reading thread can do it while another simulates.
    /// A simulator of this pack then decides the records without triaging them again.
    public func triage(_ records: inout [StreamRecord]) {
        let version = pack.version
        for i in records.indices {
            guard case .success(let mutation) = records[i].mutation else { continue }
            records[i].triaged = (version, Result { () throws(ValidationFailure) in try triage(mutation) })
        }
    }
}
