import AirlockCore
import ArgumentParser
import CEL

/// `airlock policy eval PACK --mutation JSON --actor JSON [--signals JSON] [--explain]`.
struct PolicyEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Decide one mutation under a pack and print the decision as JSON.",
        discussion: """
            JSON arguments are inline text or @FILE. Signals not given are neutral (no anomaly, no \
            rate, a known actor and payee); off_hours is computed from --now (default: the current \
            time) unless given. With --explain the output also lists every rule with its outcome \
            and the values its condition read. An invalid mutation prints its problems to standard \
            error and exits non-zero.
            """
    )

    @Argument(help: "The pack: a YAML file or a directory of YAML files.")
    var pack: String

    @Option(help: "The mutation, as JSON or @FILE.")
    var mutation: String

    @Option(help: "The proposing actor, as JSON or @FILE ({\"id\": …, \"kind\": \"agent\"}).")
    var actor: String

    @Option(help: "Signals, as JSON or @FILE ({\"amount_zscore\": 5.1, \"first_time\": true}).")
    var signals: String?

    @Option(help: "The system state, as JSON or @FILE ({\"freeze\": true}).")
    var system: String?

    @Option(help: "The decision time, RFC 3339 (default: now).")
    var now: String?

    @Flag(help: "List every rule with its outcome and the values it read.")
    var explain = false

    func run() throws {
        let loaded = try PolicyIO.loadPack(pack)
        let time: Timestamp
        if let now {
            guard let parsed = RFC3339.parse(now) else { throw ValidationError("--now: not an RFC 3339 time: \(now)") }
            time = parsed
        } else {
            time = PolicyIO.currentTime()
        }
        do {
            let mutation = try Mutation(jsonValue: try PolicyIO.json(self.mutation, option: "--mutation"))
            let actor = try Actor(jsonValue: try PolicyIO.json(self.actor, option: "--actor"))
            var signals = Signals.neutral
            var givesOffHours = false
            if let text = self.signals {
                let value = try PolicyIO.json(text, option: "--signals")
                signals = try Signals(jsonValue: value)
                if case .map(let map) = value, map["off_hours"] != nil { givesOffHours = true }
            }
            if !givesOffHours, let hours = loaded.businessHours { signals.offHours = !hours.contains(time) }
            let system = try self.system.map { try SystemState(jsonValue: try PolicyIO.json($0, option: "--system")) }
                ?? SystemState()
            let engine = PolicyEngine(pack: loaded)
            if explain {
                let explanation = try engine.explain(
                    mutation: mutation, actor: actor, signals: signals, system: system, now: time)
                guard case .map(var map) = explanation.decision.jsonValue else { return }
                map["explain"] = .list(
                    explanation.rules.map { trace in
                        var entry = CELMap()
                        entry["rule"] = .string(trace.rule)
                        entry["outcome"] = .string(trace.outcome.description)
                        var values = CELMap()
                        for seen in trace.values { values[seen.path] = seen.value ?? .null }
                        entry["values"] = .map(values)
                        return .map(entry)
                    })
                print(Value.map(map).jsonString(prettyPrinted: true))
            } else {
                let decision = try engine.decide(mutation: mutation, actor: actor, signals: signals, system: system, now: time)
                print(decision.jsonValue.jsonString(prettyPrinted: true))
            }
        } catch let failure as ValidationFailure {
            for issue in failure.issues { PolicyIO.printError("invalid: \(issue)") }
            throw ExitCode.failure
        }
    }
}
