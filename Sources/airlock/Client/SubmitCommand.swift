import ArgumentParser
import CEL
import Foundation

/// `airlock submit`: proposes one mutation to the gateway and prints its decision.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a mutation to the gateway and print its decision.",
        discussion: """
            Give the mutation field by field (--resource, --operation, --target or --targets, and \
            one --set FIELD=VALUE per changed field) or whole with --file PATH (--file - reads \
            standard input). VALUE is JSON (12.5, true, "text", {"a": 1}); text that is not JSON \
            is taken as a string, so --set currency=USD works. A dotted FIELD (address.city=Paris) \
            sets a field of a nested object. The key is read from $AIRLOCK_KEY (or the variable \
            --key-env names). Exit status: 0 when the gateway decided (whatever the decision), 1 \
            when it refused the request (an invalid mutation is still recorded, as rejected), 69 \
            when the server cannot be reached, 78 when no key is set or the URL is not a server URL.

            Examples:
              airlock submit --resource crm.customer --operation update --target cus-42 \\
                --set email=zoe@example.com --set tier=premium
              airlock submit --file transfer.json --idempotency-key run-42-step-3 --json
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("The resource type, as the policy pack declares it.", valueName: "RESOURCE"))
    var resource: String?

    @Option(help: ArgumentHelp("create, update or delete.", valueName: "OPERATION"))
    var operation: String?

    @Option(help: ArgumentHelp("The id of the record changed.", valueName: "ID"))
    var target: String?

    @Option(help: ArgumentHelp("The ids of several records changed alike, comma-separated.", valueName: "ID,ID,…"))
    var targets: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("A changed field: FIELD=VALUE (repeatable).", valueName: "FIELD=VALUE"))
    var changes: [String] = []

    @Option(help: ArgumentHelp("A field's value before the change, for the policy (repeatable).", valueName: "FIELD=VALUE"))
    var before: [String] = []

    @Option(help: ArgumentHelp("Context for the policy, e.g. ticket=OPS-12 (repeatable).", valueName: "KEY=VALUE"))
    var context: [String] = []

    @Option(help: ArgumentHelp("The whole mutation as a JSON file; - reads standard input.", valueName: "PATH"))
    var file: String?

    @Option(help: ArgumentHelp("Makes a retry safe: the same key and body return the first answer.", valueName: "KEY"))
    var idempotencyKey: String?

    func validate() throws {
        let fieldOptions =
            resource != nil || operation != nil || target != nil || targets != nil || !changes.isEmpty || !before.isEmpty
            || !context.isEmpty
        if file != nil {
            guard !fieldOptions else {
                throw ValidationError(
                    "--file gives the whole mutation; leave out --resource, --operation, --target(s), --set, --before and --context"
                )
            }
        } else {
            guard resource != nil, operation != nil else {
                throw ValidationError("give --resource and --operation (and --set FIELD=VALUE for each change), or --file PATH")
            }
            guard target == nil || targets == nil else { throw ValidationError("give --target or --targets, not both") }
        }
        if let idempotencyKey, idempotencyKey.isEmpty || idempotencyKey.utf8.count > 255 {
            throw ValidationError("--idempotency-key must be 1 to 255 characters")
        }
    }

    func run() async throws {
        let document: Value
        do {
            document = try makeDocument()
        } catch let error as ValidationError {
            // Found only now (a file, standard input): said like a usage mistake, without the
            // root command's usage that ArgumentParser would print.
            Console.error([error.message])
            throw ExitCode(64)
        }
        try await client.run { api throws(ClientError) in
            let (answer, mutation) = try await api.submit(document, idempotencyKey: idempotencyKey)
            if client.json {
                Console.write(answer.body)
                return
            }
            var lines = MutationReport(mutation: mutation, time: DisplayTime(now: Date())).lines()
            if answer.status == 200 {
                lines.append("(an earlier submission with this idempotency key; this is its answer)")
            }
            if mutation.isInMotion { lines.append("follow it: airlock status \(mutation.id) --wait") }
            Console.print(lines.joined(separator: "\n"))
        }
    }

    /// The request body: the file's document, or one built from the options.
    private func makeDocument() throws -> Value {
        if let file { return try Self.readDocument(file) }
        var document = CELMap()
        document["resource"] = .string(resource!)
        document["operation"] = .string(operation!)
        if let target { document["target"] = .string(target) }
        if let targets {
            let ids = targets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            document["targets"] = .list(ids.map(Value.string))
        }
        do throws(MutationDocument.Problem) {
            document["changes"] = try MutationDocument.object(from: changes, option: "--set")
            if !before.isEmpty { document["before"] = try MutationDocument.object(from: before, option: "--before") }
            if !context.isEmpty { document["context"] = try MutationDocument.object(from: context, option: "--context") }
        } catch {
            throw ValidationError(error.description)
        }
        return .map(document)
    }

    /// Reads a JSON document from a file, or from standard input for `-`.
    private static func readDocument(_ path: String) throws -> Value {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--file: cannot read \(path)")
            }
            data = contents
        }
        let source = path == "-" ? "standard input" : path
        do {
            let value = try Value(json: String(decoding: data, as: UTF8.self))
            guard case .map = value else { throw ValidationError("--file: \(source) must hold a JSON object") }
            return value
        } catch let error as JSONError {
            throw ValidationError("--file: \(source) is not valid JSON (\(error))")
        }
    }
}
