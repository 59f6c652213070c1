/// The results of running one conformance file.
public struct FileReport: Sendable {
    /// The file's declared name (`basic`), or its file name when it declares none.
    public var name: String
    /// The path it was read from, if any.
    public var path: String?
    /// Every test's result, in file order.
    public var results: [TestResult]
    /// Unknown fields outside tests, ignored while reading.
    public var ignoredFields: [String]

    public init(name: String, path: String? = nil, results: [TestResult], ignoredFields: [String] = []) {
        self.name = name
        self.path = path
        self.results = results
        self.ignoredFields = ignoredFields
    }

    /// The tests that passed, failed and were skipped.
    public var passed: [TestResult] { results.filter { if case .passed = $0.outcome { true } else { false } } }
    public var failed: [TestResult] { results.filter { if case .failed = $0.outcome { true } else { false } } }
    public var skipped: [TestResult] { results.filter { if case .skipped = $0.outcome { true } else { false } } }

    /// `basic: 43 passed, 0 failed, 0 skipped`.
    public var summary: String {
        "\(name): \(passed.count) passed, \(failed.count) failed, \(skipped.count) skipped"
    }
}

/// The result of one test.
public struct TestResult: Sendable, CustomStringConvertible {
    public var section: String
    public var name: String
    public var expression: String
    /// Where the test is in its file.
    public var location: TextLocation
    public var outcome: TestOutcome

    public init(section: String, name: String, expression: String, location: TextLocation, outcome: TestOutcome) {
        self.section = section
        self.name = name
        self.expression = expression
        self.location = location
        self.outcome = outcome
    }

    /// The text with control characters escaped (`\x00`, `\n`), to print on one line.
    static func printable(_ text: String) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            case "\r": output += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                output += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// `section/name`.
    public var qualifiedName: String { "\(section)/\(name)" }

    /// A report for a person: the outcome, the test's name and where it is, and for a failure
    /// the expression, the expected and the actual result; for a skip, the reasons.
    public var description: String {
        switch outcome {
        case .passed:
            return "PASS \(qualifiedName)"
        case .failed(let failure):
            return """
                FAIL \(qualifiedName) (line \(location.line))
                  expr:     \(Self.printable(expression))
                  expected: \(failure.expected)
                  actual:   \(failure.actual)
                """
        case .skipped(let reasons):
            return "SKIP \(qualifiedName): \(reasons.map(\.message).joined(separator: "; "))"
        }
    }
}

/// How a test ended.
public enum TestOutcome: Sendable {
    case passed
    /// The result differed from the expectation, or the expression did not compile.
    case failed(TestFailure)
    /// The test needs what is not supported; never counted as passed.
    case skipped([SkipReason])
}

/// What a failing test expected and what it got, both as text.
public struct TestFailure: Sendable, CustomStringConvertible {
    public var expected: String
    public var actual: String

    public init(expected: String, actual: String) {
        self.expected = expected
        self.actual = actual
    }

    public var description: String { "expected \(expected), got \(actual)" }
}
