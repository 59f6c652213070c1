import CEL

extension ConformanceFile {
    /// Reads a file in the text format of `cel.expr.conformance.test.SimpleTestFile`.
    ///
    /// Malformed text, or a value of the wrong kind for a known field, is an error with the line
    /// and column (and `path`, when given). Unknown fields are not errors: in a test they make
    /// the test skipped with the reason; elsewhere they are listed in ``ignoredFields``.
    public init(textFormat text: String, path: String? = nil) throws(TextFormatError) {
        do {
            let root = try TextMessage(textFormat: text)
            self = try Self.read(root)
        } catch var error {
            error.file = path
            throw error
        }
    }

    private static func read(_ root: TextMessage) throws(TextFormatError) -> ConformanceFile {
        var file = ConformanceFile(name: "", sections: [])
        for field in root.fields {
            switch field.name {
            case "name": file.name = try field.scalar().string()
            case "description": file.description = try field.scalar().string()
            case "section":
                let (section, ignored) = try readSection(field.message())
                file.sections.append(section)
                file.ignoredFields += ignored
            default: file.ignoredFields.append("\(field.location): unknown field '\(field.name)' in the file")
            }
        }
        return file
    }

    private static func readSection(_ message: TextMessage) throws(TextFormatError) -> (ConformanceSection, [String]) {
        var section = ConformanceSection(name: "", tests: [])
        var ignored: [String] = []
        for field in message.fields {
            switch field.name {
            case "name": section.name = try field.scalar().string()
            case "description": section.description = try field.scalar().string()
            case "test": section.tests.append(try readTest(field.message()))
            default: ignored.append("\(field.location): unknown field '\(field.name)' in a section")
            }
        }
        return (section, ignored)
    }

    private static func readTest(_ message: TextMessage) throws(TextFormatError) -> ConformanceTest {
        var reader = ExprProtoReader()
        var test = ConformanceTest(name: "", location: message.location, expression: "")
        for field in message.fields {
            switch field.name {
            case "name": test.name = try field.scalar().string()
            case "description": test.description = try field.scalar().string()
            case "expr": test.expression = try field.scalar().string()
            case "disable_macros": test.disableMacros = try field.scalar().bool()
            case "disable_check": test.disableCheck = try field.scalar().bool()
            case "check_only": test.checkOnly = try field.scalar().bool()
            case "container": test.container = try field.scalar().string()
            case "locale": test.locale = try field.scalar().string()
            case "type_env":
                if let (name, type) = try reader.readDeclaration(field.message()) {
                    test.declarations[name] = type
                }
            case "bindings":
                let entry = try field.message()
                var key: String?
                var value: Value?
                for part in entry.fields {
                    switch part.name {
                    case "key": key = try part.scalar().string()
                    case "value": value = try reader.readExprValue(part.message())
                    default: reader.unknownField(part, in: "a binding")
                    }
                }
                guard let key else {
                    throw TextFormatError(location: entry.location, message: "binding without a key")
                }
                if let value { test.bindings[key] = value }
            case "value":
                test.expectation = .value(try reader.readValue(field.message()) ?? .null)
            case "typed_result":
                var result: Value?
                var type: CELType?
                for part in try field.message().fields {
                    switch part.name {
                    case "result": result = try reader.readValue(part.message())
                    case "deduced_type": type = try reader.readType(part.message())
                    default: reader.unknownField(part, in: "typed_result")
                    }
                }
                test.expectation = .typedResult(result, type)
            case "eval_error":
                _ = try field.message()
                test.expectation = .evalError
            case "any_eval_errors":
                _ = try field.message()
                test.expectation = .anyEvalErrors
            case "unknown", "any_unknowns":
                test.expectation = .unknown
                reader.reasons.append(SkipReason(.unsupportedFeature, "expects an unknown result ('\(field.name)')"))
            default:
                reader.unknownField(field, in: "the test")
            }
        }
        test.unsupported = reader.reasons
        return test
    }
}

extension TextField {
    /// The field's value as a scalar, or an error saying a scalar was expected.
    func scalar() throws(TextFormatError) -> TextScalar {
        guard case .scalar(let scalar) = value else {
            throw TextFormatError(location: location, message: "field '\(name)' expects a value, not a message")
        }
        return scalar
    }

    /// The field's value as a message, or an error saying a message was expected.
    func message() throws(TextFormatError) -> TextMessage {
        guard case .message(let message) = value else {
            throw TextFormatError(location: location, message: "field '\(name)' expects a message '{ … }'")
        }
        return message
    }
}
