import CEL

/// A conformance test file (`cel.expr.conformance.test.SimpleTestFile`): sections of tests.
public struct ConformanceFile: Sendable {
    /// The file's name as it declares it (`basic`).
    public var name: String
    public var description: String
    public var sections: [ConformanceSection]
    /// Fields of the file or its sections that this reader does not know, with where they are;
    /// they are ignored (unknown fields of a test make that test skipped instead).
    public var ignoredFields: [String]

    public init(name: String, description: String = "", sections: [ConformanceSection], ignoredFields: [String] = []) {
        self.name = name
        self.description = description
        self.sections = sections
        self.ignoredFields = ignoredFields
    }
}

/// A named group of tests (`SimpleTestSection`).
public struct ConformanceSection: Sendable {
    public var name: String
    public var description: String
    public var tests: [ConformanceTest]

    public init(name: String, description: String = "", tests: [ConformanceTest]) {
        self.name = name
        self.description = description
        self.tests = tests
    }
}

/// One test (`SimpleTest`): an expression, how to compile it, its variables and what it must
/// produce.
public struct ConformanceTest: Sendable {
    public var name: String
    public var description: String
    /// Where the test starts in its file.
    public var location: TextLocation
    /// The CEL expression.
    public var expression: String
    public var disableMacros: Bool
    public var disableCheck: Bool
    public var checkOnly: Bool
    /// The declared variables (`type_env` identifiers).
    public var declarations: [String: CELType]
    /// The container for name resolution; non-empty only in tests of protocol-buffer messages.
    public var container: String
    public var locale: String
    /// The variables' values (`bindings`).
    public var bindings: [String: Value]
    public var expectation: Expectation
    /// Why the test cannot run here, found while reading it: protocol-buffer values or types,
    /// unknown fields, unsupported matchers. Empty for a runnable test.
    public var unsupported: [SkipReason]

    public init(
        name: String, description: String = "", location: TextLocation = TextLocation(line: 1, column: 1),
        expression: String, disableMacros: Bool = false, disableCheck: Bool = false, checkOnly: Bool = false,
        declarations: [String: CELType] = [:], container: String = "", locale: String = "",
        bindings: [String: Value] = [:], expectation: Expectation = .value(.bool(true)),
        unsupported: [SkipReason] = []
    ) {
        self.name = name
        self.description = description
        self.location = location
        self.expression = expression
        self.disableMacros = disableMacros
        self.disableCheck = disableCheck
        self.checkOnly = checkOnly
        self.declarations = declarations
        self.container = container
        self.locale = locale
        self.bindings = bindings
        self.expectation = expectation
        self.unsupported = unsupported
    }
}

/// What a test expects (the `result_matcher` of `SimpleTest`; `true` when none is given).
public enum Expectation: Sendable {
    /// Evaluation yields this value.
    case value(Value)
    /// Evaluation yields the value (unless the test is check-only) and the checker deduces
    /// the type.
    case typedResult(Value?, CELType?)
    /// Evaluation fails (any error: messages differ between implementations).
    case evalError
    /// Evaluation fails with one of several errors (any error).
    case anyEvalErrors
    /// An unknown result; not supported, always skipped.
    case unknown
}

/// Why a test was not run.
public struct SkipReason: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of reason.
    public enum Kind: Sendable, Hashable {
        /// The test needs protocol-buffer messages, wrapper types or message names.
        case protocolBuffers
        /// The test uses a feature of the format or language this runner does not support
        /// (unknown fields, unknown-value matchers, function declarations, …).
        case unsupportedFeature
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
