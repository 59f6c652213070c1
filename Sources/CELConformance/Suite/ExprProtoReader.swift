import CEL

/// Reads the `cel.expr` messages a test uses (`Value`, `ExprValue`, `Decl`, `Type`) into CEL
/// values and types. What has no CEL equivalent here (messages, wrapper and enum types, unknown
/// fields) is not an error: the reader returns `nil` and records why the test must be skipped.
struct ExprProtoReader {
    /// Why the test being read cannot run.
    var reasons: [SkipReason] = []

    private mutating func skip(_ kind: SkipReason.Kind, _ message: String) {
        let reason = SkipReason(kind, message)
        if !reasons.contains(reason) { reasons.append(reason) }
    }

    mutating func unknownField(_ field: TextField, in context: String) {
        skip(.unsupportedFeature, "unknown field '\(field.name)' in \(context) at \(field.location)")
    }

    // MARK: Values

    /// A `cel.expr.Value`.
    mutating func readValue(_ message: TextMessage) throws(TextFormatError) -> Value? {
        guard let field = message.fields.last else {
            skip(.unsupportedFeature, "a value with no kind at \(message.location)")
            return nil
        }
        if message.fields.count > 1 {
            throw TextFormatError(location: field.location, message: "a value has more than one kind")
        }
        switch field.name {
        case "null_value":
            _ = try field.scalar().enumValue()
            return .null
        case "bool_value": return .bool(try field.scalar().bool())
        case "int64_value": return .int(try field.scalar().int64())
        case "uint64_value": return .uint(try field.scalar().uint64())
        case "double_value": return .double(try field.scalar().double())
        case "string_value": return .string(try field.scalar().string())
        case "bytes_value": return .bytes(try field.scalar().bytes())
        case "type_value": return .type(TypeValue(name: try field.scalar().string()))
        case "list_value":
            var elements: [Value] = []
            for part in try field.message().fields {
                guard part.name == "values" else {
                    unknownField(part, in: "a list value")
                    return nil
                }
                guard let element = try readValue(part.message()) else { return nil }
                elements.append(element)
            }
            return .list(elements)
        case "map_value":
            var entries: [(MapKey, Value)] = []
            for part in try field.message().fields {
                guard part.name == "entries" else {
                    unknownField(part, in: "a map value")
                    return nil
                }
                guard let (key, value) = try readMapEntry(part.message()) else { return nil }
                entries.append((key, value))
            }
            return .map(CELMap(entries))
        case "object_value":
            let typeName = try field.message().fields.first.map { anyTypeName($0) } ?? "an empty Any"
            skip(.protocolBuffers, "needs a protocol-buffer message value (object_value \(typeName))")
            return nil
        case "enum_value":
            skip(.protocolBuffers, "needs a protocol-buffer enum value (enum_value)")
            return nil
        default:
            unknownField(field, in: "a value")
            return nil
        }
    }

    private mutating func readMapEntry(_ message: TextMessage) throws(TextFormatError) -> (MapKey, Value)? {
        var key: Value?
        var value: Value?
        for part in message.fields {
            switch part.name {
            case "key": key = try readValue(part.message())
            case "value": value = try readValue(part.message())
            default:
                unknownField(part, in: "a map entry")
                return nil
            }
        }
        guard let key, let value else {
            if reasons.isEmpty {
                throw TextFormatError(location: message.location, message: "map entry without a key or a value")
            }
            return nil
        }
        switch key {
        case .bool(let b): return (.bool(b), value)
        case .int(let i): return (.int(i), value)
        case .uint(let u): return (.uint(u), value)
        case .string(let s): return (.string(s), value)
        default:
            skip(.unsupportedFeature, "a map key of type \(key.typeValue.name) at \(message.location)")
            return nil
        }
    }

    /// The message type named by an `Any`'s expanded form or its `type_url`.
    private func anyTypeName(_ field: TextField) -> String {
        if field.name.hasPrefix("[") {
            let inner = field.name.dropFirst().dropLast()
            return String(inner.split(separator: "/").last ?? inner)
        }
        if field.name == "type_url", case .scalar(let scalar) = field.value, let url = try? scalar.string() {
            return String(url.split(separator: "/").last ?? Substring(url))
        }
        return field.name
    }

    /// A `cel.expr.ExprValue`: a value, or (unsupported) an error set or unknown set.
    mutating func readExprValue(_ message: TextMessage) throws(TextFormatError) -> Value? {
        var result: Value?
        for field in message.fields {
            switch field.name {
            case "value": result = try readValue(field.message())
            case "error":
                skip(.unsupportedFeature, "a binding to an error value")
                return nil
            case "unknown":
                skip(.unsupportedFeature, "a binding to an unknown value")
                return nil
            default:
                unknownField(field, in: "a binding value")
                return nil
            }
        }
        return result
    }

    // MARK: Declarations and types

    /// A `cel.expr.Decl` of an identifier: its name and type.
    mutating func readDeclaration(_ message: TextMessage) throws(TextFormatError) -> (String, CELType)? {
        var name: String?
        var type: CELType?
        var complete = true
        for field in message.fields {
            switch field.name {
            case "name": name = try field.scalar().string()
            case "ident":
                for part in try field.message().fields {
                    switch part.name {
                    case "type":
                        type = try readType(part.message())
                        if type == nil { complete = false }
                    case "doc": break
                    default:
                        unknownField(part, in: "an identifier declaration")
                        complete = false
                    }
                }
            case "function":
                skip(.unsupportedFeature, "declares a function")
                complete = false
            default:
                unknownField(field, in: "a declaration")
                complete = false
            }
        }
        guard let name else { throw TextFormatError(location: message.location, message: "declaration without a name") }
        guard complete else { return nil }
        return (name, type ?? .dyn)
    }

    /// A `cel.expr.Type`.
    mutating func readType(_ message: TextMessage) throws(TextFormatError) -> CELType? {
        guard let field = message.fields.last else {
            skip(.unsupportedFeature, "a type with no kind at \(message.location)")
            return nil
        }
        switch field.name {
        case "dyn":
            return .dyn
        case "null":
            return .null
        case "error":
            return .error
        case "primitive":
            switch try field.scalar().enumValue() {
            case .name("BOOL"), .number(1): return .bool
            case .name("INT64"), .number(2): return .int
            case .name("UINT64"), .number(3): return .uint
            case .name("DOUBLE"), .number(4): return .double
            case .name("STRING"), .number(5): return .string
            case .name("BYTES"), .number(6): return .bytes
            default: throw TextFormatError(location: field.location, message: "unknown primitive type")
            }
        case "well_known":
            switch try field.scalar().enumValue() {
            case .name("TIMESTAMP"), .number(2): return .timestamp
            case .name("DURATION"), .number(3): return .duration
            case .name("ANY"), .number(1):
                skip(.protocolBuffers, "declares google.protobuf.Any")
                return nil
            default: throw TextFormatError(location: field.location, message: "unknown well-known type")
            }
        case "wrapper":
            skip(.protocolBuffers, "declares a wrapper type")
            return nil
        case "message_type":
            let name = try field.scalar().string()
            skip(.protocolBuffers, "declares the message type \(name)")
            return nil
        case "type_param":
            return .typeParam(try field.scalar().string())
        case "type":
            return try readType(field.message()).map { .type($0) }
        case "list_type":
            var element: CELType = .dyn
            for part in try field.message().fields {
                guard part.name == "elem_type" else {
                    unknownField(part, in: "a list type")
                    return nil
                }
                guard let type = try readType(part.message()) else { return nil }
                element = type
            }
            return .list(element)
        case "map_type":
            var key: CELType = .dyn
            var value: CELType = .dyn
            for part in try field.message().fields {
                switch part.name {
                case "key_type":
                    guard let type = try readType(part.message()) else { return nil }
                    key = type
                case "value_type":
                    guard let type = try readType(part.message()) else { return nil }
                    value = type
                default:
                    unknownField(part, in: "a map type")
                    return nil
                }
            }
            return .map(key: key, value: value)
        case "function", "abstract_type":
            skip(.unsupportedFeature, "declares \(field.name == "function" ? "a function" : "an abstract") type")
            return nil
        default:
            unknownField(field, in: "a type")
            return nil
        }
    }
}
