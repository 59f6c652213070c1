import AirlockCore
import AirlockStore
import CEL

extension Gateway {
    /// Triage: the mutation of a submission with the target's current values as its `before`,
    /// or every problem found in it.
    func triage(_ body: Value, engine: PolicyEngine) async throws(GatewayError) -> Result<Mutation, ValidationFailure> {
        switch Self.parse(body, engine: engine) {
        case .failure(let failure):
            return .failure(failure)
        case .success(var mutation):
            let most = admission.limits.bulkTargets
            if let targets = mutation.targets, targets.count > most {
                return .failure(
                    ValidationFailure(issues: [
                        ValidationIssue(
                            path: "targets",
                            message: "lists \(targets.count) records; a mutation may change at most \(most) (limits.bulk_targets)")
                    ]))
            }
            if mutation.targets != nil, executesItself(mutation.resource),
                !executors.executor(for: mutation.resource).supportsBulk
            {
                return .failure(
                    ValidationFailure(issues: [
                        ValidationIssue(
                            path: "targets",
                            message: "\(mutation.resource)'s executor cannot apply a bulk mutation; submit one mutation per record")
                    ]))
            }
            try await readCurrentValues(into: &mutation)
            return .success(mutation)
        }
    }

    /// The mutation of a submission, or every problem found in it: its structural problems and,
    /// when the resource and operation can be read, what the schema finds in the rest (except
    /// about the parts already reported), so that one 422 lists them all.
    static func parse(_ body: Value, engine: PolicyEngine) -> Result<Mutation, ValidationFailure> {
        let read = Mutation.read(jsonValue: body)
        guard let mutation = read.mutation, read.issues.isEmpty else {
            guard let partial = read.mutation else { return .failure(ValidationFailure(issues: read.issues)) }
            var issues = read.issues
            do throws(ValidationFailure) {
                _ = try engine.validate(partial)
            } catch {
                let reported = Set(read.issues.map { Self.topLevelKey(of: $0.path) })
                issues += error.issues.filter { !reported.contains(Self.topLevelKey(of: $0.path)) }
            }
            return .failure(ValidationFailure(issues: issues))
        }
        return .success(mutation)
    }

    /// `changes` of `changes.amount`, `targets` of `targets[2]`.
    private static func topLevelKey(of path: String) -> Substring {
        path.prefix { $0 != "." && $0 != "[" }
    }

    /// Replaces the caller's `before` with the target's current values when its executor can
    /// read them: an agent cannot understate what it changes. A caller's `before` that disagrees
    /// with the real values is a conflict.
    func readCurrentValues(into mutation: inout Mutation) async throws(GatewayError) {
        guard mutation.operation != .create, let target = mutation.target, executors.isConfigured(mutation.resource)
        else { return }
        let executor = executors.executor(for: mutation.resource)
        guard executor.canRead, let current = await executor.read(target: target) else { return }
        if let claimed = mutation.before {
            var disagreements: [(path: String, message: String)] = []
            for (key, value) in claimed.entries {
                guard case .string(let field) = key, let actual = current[field] else { continue }
                if !ValueMatching.equal(value, actual) {
                    disagreements.append(("before.\(field)", "is \(actual.jsonString()) in \(mutation.resource) \(target), not \(value.jsonString())"))
                }
            }
            if !disagreements.isEmpty {
                throw GatewayError(
                    .conflict, title: "Stale before",
                    detail: "the before values sent do not match \(target)'s current values; read it again and resubmit",
                    errors: disagreements)
            }
        }
        mutation.before = current
    }

    /// The body without an `actor` key: the actor is always the authenticated principal.
    static func withoutActor(_ body: Value) -> Value {
        guard case .map(var map) = body, map["actor"] != nil else { return body }
        map["actor"] = nil
        return .map(map)
    }

    static func string(_ body: Value, _ key: String) -> String? {
        guard case .map(let map) = body, case .string(let s)? = map[key] else { return nil }
        return s
    }
}
