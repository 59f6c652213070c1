import ArgumentParser
import CEL
import Foundation

/// `airlock bench cel`: median nanoseconds per compiled evaluation of the four reference
/// expressions of the CEL issue.
struct BenchCELCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cel",
        abstract: "Time compiled CEL evaluation (median ns per evaluation of four expressions)."
    )

    @Option(help: "Timed batches per expression; the median batch is reported.")
    var batches = 51

    @Option(help: "Evaluations per batch.")
    var iterations = 20_000

    @Option(help: "Run only this expression (1-4), e.g. under valgrind to count allocations.")
    var only: Int?

    static let expressions = [
        #"mutation.resource == "payments.transfer" && mutation.changes.amount > 10000.0"#,
        #""pii" in mutation.classes && actor.role != "admin""#,
        #"signals.amount_z > 3.0 || signals.velocity_1m > 50"#,
        #"mutation.classes.exists(c, c == "restricted")"#,
    ]

    static var activation: Activation {
        Activation([
            "mutation": .map(
                CELMap([
                    "resource": .string("payments.transfer"),
                    "op": .string("update"),
                    "changes": .map(CELMap(["amount": .double(12500.0), "currency": .string("USD")])),
                    "classes": .list([.string("financial"), .string("pii")]),
                ])),
            "actor": .map(CELMap(["role": .string("agent"), "id": .string("agent-7"), "trust": .double(0.8)])),
            "signals": .map(CELMap(["amount_z": .double(3.4), "velocity_1m": .int(12)])),
        ])
    }

    func run() throws {
        let environment = Environment(variables: [
            "mutation": .map(key: .string, value: .dyn),
            "actor": .map(key: .string, value: .dyn),
            "signals": .map(key: .string, value: .dyn),
        ])
        let activation = Self.activation
        #if DEBUG
        print("warning: debug build; measure with: swift run -c release airlock bench cel")
        #endif
        let selected = only.map { [$0 - 1] } ?? Array(Self.expressions.indices)
        var medians: [Double] = []
        for index in selected {
            let text = Self.expressions[index]
            let program = try environment.compile(text)
            let expected = try program.evaluate(activation)
            var samples: [Double] = []
            var sink = 0
            for _ in 0..<batches {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<iterations {
                    if case .bool(true) = try program.evaluate(activation) { sink &+= 1 }
                }
                let elapsed = DispatchTime.now().uptimeNanoseconds - start
                samples.append(Double(elapsed) / Double(iterations))
            }
            samples.sort()
            let median = samples[samples.count / 2]
            medians.append(median)
            print(
                String(format: "%8.1f ns  (p10 %.1f, p90 %.1f)  %@  => %@", median,
                    samples[samples.count / 10], samples[samples.count * 9 / 10], text, "\(expected)"))
            if sink == 42 { print("") }  // keeps the loop's result alive
        }
        if medians.count > 1 {
            print(String(format: "median of medians: %.1f ns per evaluation", medians.sorted()[medians.count / 2]))
        }
    }
}
