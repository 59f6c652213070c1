/// One signature of a standard function or operator, as the checker resolves calls against it.
///
/// Parameters may use type parameters (`A`, `B`, `K`, `V`), instantiated afresh for each call.
struct OverloadSignature: Sendable {
    /// Whether it is called as `target.name(args)`; the target is then the first parameter.
    var isReceiverStyle: Bool
    var parameters: [CELType]
    var result: CELType
}

/// The overloads of the standard functions and operators (language definition, "Standard
/// Definitions"), by function name.
enum StandardDeclarations {
    /// The overloads of `name`, or `nil` when no standard function has that name.
    static func overloads(of name: String) -> [OverloadSignature]? { table[name] }

    /// The names a person can call (operators excluded), for suggestions.
    static let callableNames: [String] = table.keys.filter { $0.first?.isLetter == true && !$0.contains("@") }
        .sorted()

    /// The macros the parser expands; called with the wrong shape they reach the checker as calls.
    static let macroNames: Set<String> = [
        "has", "all", "exists", "exists_one", "existsOne", "map", "filter", "transformList", "transformMap",
        "transformMapEntry",
    ]

    private static let paramA = CELType.typeParam("A")
    private static let paramB = CELType.typeParam("B")

    private static let table: [String: [OverloadSignature]] = {
        var table: [String: [OverloadSignature]] = [:]
        func global(_ name: String, _ parameters: [CELType], _ result: CELType) {
            let signature = OverloadSignature(isReceiverStyle: false, parameters: parameters, result: result)
            table[name, default: []].append(signature)
        }
        func member(_ name: String, _ parameters: [CELType], _ result: CELType) {
            let signature = OverloadSignature(isReceiverStyle: true, parameters: parameters, result: result)
            table[name, default: []].append(signature)
        }
        let numbers: [CELType] = [.int, .uint, .double]

        // Logic.
        global(Operator.logicalNot, [.bool], .bool)
        global(Operator.logicalAnd, [.bool, .bool], .bool)
        global(Operator.logicalOr, [.bool, .bool], .bool)
        global(Operator.notStrictlyFalse, [.bool], .bool)
        global(Operator.conditional, [.bool, paramA, paramA], paramA)

        // Equality is homogeneous for the checker; `dyn` defers it to runtime.
        global(Operator.equals, [paramA, paramA], .bool)
        global(Operator.notEquals, [paramA, paramA], .bool)

        // Ordering, including across the numeric types (as the runtime orders them).
        let orderings = [Operator.less, Operator.lessEquals, Operator.greater, Operator.greaterEquals]
        for name in orderings {
            for type in [CELType.bool, .int, .uint, .double, .string, .bytes, .timestamp, .duration] {
                global(name, [type, type], .bool)
            }
            for left in numbers {
                for right in numbers where right != left { global(name, [left, right], .bool) }
            }
        }

        // Arithmetic.
        global(Operator.negate, [.int], .int)
        global(Operator.negate, [.double], .double)
        for type in numbers {
            for name in [Operator.add, Operator.subtract, Operator.multiply, Operator.divide] {
                global(name, [type, type], type)
            }
        }
        global(Operator.modulo, [.int, .int], .int)
        global(Operator.modulo, [.uint, .uint], .uint)
        global(Operator.add, [.string, .string], .string)
        global(Operator.add, [.bytes, .bytes], .bytes)
        global(Operator.add, [.list(paramA), .list(paramA)], .list(paramA))
        global(Operator.add, [.timestamp, .duration], .timestamp)
        global(Operator.add, [.duration, .timestamp], .timestamp)
        global(Operator.add, [.duration, .duration], .duration)
        global(Operator.subtract, [.timestamp, .timestamp], .duration)
        global(Operator.subtract, [.timestamp, .duration], .timestamp)
        global(Operator.subtract, [.duration, .duration], .duration)

        // Lists and maps.
        global(Operator.index, [.list(paramA), .int], paramA)
        global(Operator.index, [.map(key: paramA, value: paramB), paramA], paramB)
        global(Operator.in, [paramA, .list(paramA)], .bool)
        global(Operator.in, [paramA, .map(key: paramA, value: paramB)], .bool)
        // The steps of transformMap (one entry) and transformMapEntry (a map's entries).
        let mapAB = CELType.map(key: paramA, value: paramB)
        global(Operator.mapInsert, [mapAB, paramA, paramB], mapAB)
        global(Operator.mapInsert, [mapAB, mapAB], mapAB)
        for type in [CELType.string, .bytes, .list(paramA), .map(key: paramA, value: paramB)] {
            global("size", [type], .int)
            member("size", [type], .int)
        }

        // Strings.
        for name in ["contains", "startsWith", "endsWith", "matches"] {
            member(name, [.string, .string], .bool)
        }
        global("matches", [.string, .string], .bool)

        // Conversions and type denotations.
        let conversions: [(String, [CELType], CELType)] = [
            ("int", [.int, .uint, .double, .string, .timestamp], .int),
            ("uint", [.uint, .int, .double, .string], .uint),
            ("double", [.double, .int, .uint, .string], .double),
            ("string", [.string, .bool, .int, .uint, .double, .bytes, .timestamp, .duration], .string),
            ("bytes", [.bytes, .string], .bytes),
            ("bool", [.bool, .string], .bool),
            ("timestamp", [.timestamp, .string, .int], .timestamp),
            ("duration", [.duration, .string], .duration),
        ]
        for (name, sources, result) in conversions {
            for source in sources { global(name, [source], result) }
        }
        global("dyn", [paramA], .dyn)
        global("type", [paramA], .type(paramA))

        // Timestamps (in UTC, or in the time zone given) and durations.
        let timestampGetters = [
            "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
            "getHours", "getMinutes", "getSeconds", "getMilliseconds",
        ]
        for name in timestampGetters {
            member(name, [.timestamp], .int)
            member(name, [.timestamp, .string], .int)
        }
        for name in ["getHours", "getMinutes", "getSeconds", "getMilliseconds"] {
            member(name, [.duration], .int)
        }
        return table
    }()
}
