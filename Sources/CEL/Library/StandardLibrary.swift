/// The standard functions by name. Receiver calls pass the receiver as the first argument.
enum StandardLibrary {
    static func function(named name: String) -> Function? { table[name] }

    static let table: [String: Function] = {
        var table: [String: Function] = [:]
        func define(
            _ name: String,
            _ body: @escaping @Sendable (_ args: [Value], _ context: inout EvalContext) throws(EvalError) -> Value?
        ) {
            table[name] = Function { (name, args, context) throws(EvalError) -> Value in
                if let value = try body(args, &context) { return value }
                throw EvalError(
                    .noMatchingOverload,
                    "no matching overload for '\(name)' applied to (\(args.map { $0.typeValue.name }.joined(separator: ", ")))"
                )
            }
        }

        define("size") { args, _ in
            guard args.count == 1 else { return nil }
            switch args[0] {
            case .string(let s): return .int(Int64(s.unicodeScalars.count))
            case .bytes(let b): return .int(Int64(b.count))
            case .list(let l): return .int(Int64(l.count))
            case .map(let m): return .int(Int64(m.count))
            default: return nil
            }
        }
        define("contains") { args, context throws(EvalError) in
            guard args.count == 2, case .string(let s) = args[0], case .string(let t) = args[1] else { return nil }
            try context.spend(s.utf8.count / 64)
            return .bool(Strings.contains(s, t))
        }
        define("startsWith") { args, _ in
            guard args.count == 2, case .string(let s) = args[0], case .string(let t) = args[1] else { return nil }
            return .bool(s.utf8.starts(with: t.utf8))
        }
        define("endsWith") { args, _ in
            guard args.count == 2, case .string(let s) = args[0], case .string(let t) = args[1] else { return nil }
            return .bool(s.utf8.reversed().starts(with: t.utf8.reversed()))
        }
        define("matches") { args, context throws(EvalError) in
            guard args.count == 2, case .string(let s) = args[0], case .string(let pattern) = args[1] else {
                return nil
            }
            try context.spend(s.utf8.count / 16 + pattern.utf8.count)
            return .bool(try Strings.matches(s, pattern: try Strings.compile(pattern)))
        }
        define("int") { args, _ throws(EvalError) in args.count == 1 ? try Conversions.toInt(args[0]) : nil }
        define("uint") { args, _ throws(EvalError) in args.count == 1 ? try Conversions.toUInt(args[0]) : nil }
        define("double") { args, _ throws(EvalError) in args.count == 1 ? try Conversions.toDouble(args[0]) : nil }
        define("string") { args, _ throws(EvalError) in args.count == 1 ? try Conversions.toString(args[0]) : nil }
        define("bytes") { args, _ in
            guard args.count == 1 else { return nil }
            switch args[0] {
            case .bytes: return args[0]
            case .string(let s): return .bytes(Array(s.utf8))
            default: return nil
            }
        }
        define("bool") { args, _ throws(EvalError) in args.count == 1 ? try Conversions.toBool(args[0]) : nil }
        define("timestamp") { args, _ throws(EvalError) in
            args.count == 1 ? try Conversions.toTimestamp(args[0]) : nil
        }
        define("duration") { args, _ throws(EvalError) in
            args.count == 1 ? try Conversions.toDuration(args[0]) : nil
        }
        define("dyn") { args, _ in args.count == 1 ? args[0] : nil }
        define("type") { args, _ in args.count == 1 ? .type(args[0].typeValue) : nil }

        for getter in TimeGetter.allCases {
            define(getter.rawValue) { args, _ throws(EvalError) in try getter.apply(args) }
        }
        return table
    }()
}
