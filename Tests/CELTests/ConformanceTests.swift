import CEL
import CELConformance
import Foundation
import Testing

/// The CEL specification's conformance files: `$CEL_CONFORMANCE_DIR`, or `shared/cel-conformance`
/// next to the package.
enum ConformanceFiles {
    static let directory: String = {
        if let directory = ProcessInfo.processInfo.environment["CEL_CONFORMANCE_DIR"], !directory.isEmpty {
            return directory
        }
        // #filePath is <package>/Tests/CELTests/ConformanceTests.swift.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return package.deletingLastPathComponent().appendingPathComponent("shared/cel-conformance").path
    }()

    /// The `.textproto` file names, sorted.
    static let names: [String] = {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { $0.hasSuffix(".textproto") }.sorted()
    }()

    /// How many tests of a file may be skipped (all for protocol-buffer reasons), as a fraction.
    static func allowedSkipFraction(_ name: String) -> Double {
        switch name {
        case "comparisons.textproto", "fields.textproto": 0.25
        case "basic.textproto", "timestamps.textproto": 0.1
        default: 0
        }
    }
}

@Suite("CEL conformance files")
struct ConformanceTests {
    @Test func filesAreFound() {
        #expect(
            !ConformanceFiles.names.isEmpty,
            "no .textproto files in \(ConformanceFiles.directory); set CEL_CONFORMANCE_DIR")
    }

    @Test(arguments: ConformanceFiles.names)
    func file(_ name: String) throws {
        let report = try ConformanceRunner.run(fileAt: ConformanceFiles.directory + "/" + name)
        #expect(!report.results.isEmpty)
        #expect(report.ignoredFields.isEmpty, "\(report.ignoredFields)")
        for result in report.failed {
            Issue.record("\(result)")
        }
        for result in report.skipped {
            guard case .skipped(let reasons) = result.outcome else { continue }
            #expect(
                reasons.allSatisfy { $0.kind == .protocolBuffers },
                "skipped for a reason other than protobuf: \(result)")
        }
        let allowed = ConformanceFiles.allowedSkipFraction(name)
        #expect(
            Double(report.skipped.count) <= allowed * Double(report.results.count),
            "\(report.summary): more skipped than allowed")
    }
}

@Suite("Conformance file reader")
struct ConformanceReaderTests {
    private func read(_ text: String) throws -> ConformanceFile {
        try ConformanceFile(textFormat: text, path: "t.textproto")
    }

    private func onlyTest(_ text: String) throws -> ConformanceTest {
        let file = try read("name: 'f' section { name: 's' test { \(text) } }")
        return try #require(file.sections.first?.tests.first)
    }

    @Test func readsTheStructure() throws {
        let file = try read(
            """
            # a comment
            name: "demo"
            description: "two "
              "parts"  # adjacent strings join
            section {
              name: "s1"
              test { name: "t1" expr: "1 + 1" value: { int64_value: 2 } }
              test < name: 't2'; expr: 'x'; disable_check: true, eval_error { errors { message: "m" } } >
            }
            section: { name: "s2" }
            """)
        #expect(file.name == "demo")
        #expect(file.description == "two parts")
        #expect(file.sections.map(\.name) == ["s1", "s2"])
        let tests = file.sections[0].tests
        #expect(tests.map(\.name) == ["t1", "t2"])
        #expect(tests[0].location.line == 7)
        guard case .value(let value) = tests[0].expectation else {
            Issue.record("expected a value")
            return
        }
        #expect(value.description == "2")
        #expect(tests[1].disableCheck)
        guard case .evalError = tests[1].expectation else {
            Issue.record("expected an eval_error")
            return
        }
    }

    @Test func aTestWithoutAMatcherExpectsTrue() throws {
        let test = try onlyTest("name: 't' expr: 'true'")
        guard case .value(.bool(true)) = test.expectation else {
            Issue.record("expected true, got \(test.expectation)")
            return
        }
    }

    @Test(arguments: [
        ("int64_value: -9223372036854775808", "-9223372036854775808"),
        ("int64_value: 0x1F", "31"),
        ("uint64_value: 18446744073709551615", "18446744073709551615u"),
        ("double_value: -inf", #"double("-Infinity")"#),
        ("double_value: Infinity", #"double("Infinity")"#),
        ("double_value: nan", #"double("NaN")"#),
        ("double_value: 1e100", "1e+100"),
        ("double_value: -2.5", "-2.5"),
        ("double_value: 3", "3.0"),
        ("double_value: .5", "0.5"),
        ("double_value: 1.5f", "1.5"),
        ("bool_value: true", "true"),
        ("null_value: NULL_VALUE", "null"),
        ("null_value: 0", "null"),
        (#"string_value: "\303\251\u00e9\x41\n\'\"""#, #""ééA\n'\"""#),
        (#"string_value: '\xe2\x9c\x8c'"#, #""✌""#),
        (#"bytes_value: "\000\377a""#, #"b"\x00\xffa""#),
        ("type_value: 'google.protobuf.Timestamp'", "google.protobuf.Timestamp"),
        ("list_value { values { int64_value: 1 } values: { uint64_value: 2 } }", "[1, 2u]"),
        ("list_value: { values: [{ int64_value: 1 }, { int64_value: 2 }] }", "[1, 2]"),
        ("list_value {}", "[]"),
        (
            "map_value { entries { key { string_value: 'a' } value { bool_value: false } } entries { key { int64_value: 1 } value { null_value: NULL_VALUE } } }",
            #"{"a": false, 1: null}"#
        ),
    ])
    func readsExpectedValues(text: String, expected: String) throws {
        let test = try onlyTest("name: 't' expr: 'x' value { \(text) }")
        #expect(test.unsupported.isEmpty)
        guard case .value(let value) = test.expectation else {
            Issue.record("expected a value")
            return
        }
        #expect(value.description == expected)
    }

    @Test func readsDeclarationsAndBindings() throws {
        let test = try onlyTest(
            """
            name: 't' expr: 'x'
            type_env { name: "x" ident { type { map_type { key_type { primitive: STRING } value_type { dyn {} } } } } }
            type_env { name: "l" ident { type { list_type { elem_type { well_known: TIMESTAMP } } } } }
            type_env { name: "n" ident { type { null: NULL_VALUE } } }
            type_env { name: "t" ident { type { type { primitive: UINT64 } } } }
            bindings { key: "x" value { value { map_value { entries { key { string_value: "k" } value { int64_value: 1 } } } } } }
            bindings: { key: "n", value: { value: { null_value: NULL_VALUE } } }
            """)
        #expect(test.declarations["x"] == .map(key: .string, value: .dyn))
        #expect(test.declarations["l"] == .list(.timestamp))
        #expect(test.declarations["n"] == .null)
        #expect(test.declarations["t"] == .type(.uint))
        #expect(test.bindings["x"]?.description == #"{"k": 1}"#)
        #expect(test.bindings["n"]?.description == "null")
        #expect(test.unsupported.isEmpty)
    }

    @Test func unknownFieldsSkipTheTestWithAReason() throws {
        let file = try read(
            """
            name: "f"
            future_field: 3
            section {
              name: "s"
              extra { a: 1 }
              test { name: "t" expr: "1" brand_new: "x" value { int64_value: 1 } }
              test { name: "u" expr: "1" value { new_kind: 7 } }
              test { name: "v" expr: "1" [some.extension] { a: 1 } }
            }
            """)
        #expect(file.ignoredFields.count == 2)
        let report = ConformanceRunner().run(file)
        #expect(report.skipped.count == 3)
        for result in report.skipped {
            guard case .skipped(let reasons) = result.outcome else { continue }
            #expect(reasons.contains { $0.kind == .unsupportedFeature && $0.message.contains("unknown field") })
        }
    }

    @Test(arguments: [
        ("section { name: 's' ", 1, 21, "unexpected end of file"),
        ("name: \"unterminated", 1, 7, "unterminated string"),
        ("name \"x\"", 1, 6, "expected ':'"),
        ("section { test { name: 't' expr: 'x' value { int64_value: 'one' } } }", 1, 59, "expected an integer"),
        ("section { test { name: 't' expr: 'x' value { int64_value: 9223372036854775808 } } }", 1, 59, "int64 range"),
        ("section { test { name: 't' expr: 'x' value { uint64_value: -1 } } }", 1, 60, "unsigned"),
        ("section { test { name: 't' disable_check: maybe } }", 1, 43, "true or false"),
        ("name: 'a\\qb'", 1, 9, "unknown escape"),
        ("section {\n  test: 12\n}", 2, 3, "expects a message"),
        ("section {\n  name { }\n}", 2, 3, "expects a value"),
        ("}", 1, 1, "expected a field name"),
        ("name: \"\\377\"", 1, 7, "not valid UTF-8"),
        ("section { test { value { int64_value: 1 bool_value: true } } }", 1, 41, "more than one kind"),
    ])
    func malformedInputIsAnErrorWithItsPosition(text: String, line: Int, column: Int, message: String) {
        #expect {
            _ = try read(text)
        } throws: { error in
            guard let error = error as? TextFormatError else { return false }
            let matches = error.location == TextLocation(line: line, column: column) && error.message.contains(message)
            if !matches { Issue.record("got \(error)") }
            return matches && error.description.hasPrefix("t.textproto:\(line):\(column): ")
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let text = String(repeating: "a {", count: 10_000) + String(repeating: "}", count: 10_000)
        #expect(throws: TextFormatError.self) { try read(text) }
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: ConformanceFileError.self) {
            try ConformanceRunner.run(fileAt: "/nonexistent/file.textproto")
        }
    }
}

@Suite("Conformance skip rules")
struct ConformanceSkipTests {
    private func outcome(_ text: String) throws -> TestOutcome {
        let file = try ConformanceFile(textFormat: "section { name: 's' test { name: 't' \(text) } }")
        let test = try #require(file.sections.first?.tests.first)
        return ConformanceRunner().run(test)
    }

    private func skipReasons(_ text: String) throws -> [SkipReason] {
        guard case .skipped(let reasons) = try outcome(text) else { return [] }
        return reasons
    }

    @Test(arguments: [
        "container: 'cel.expr.conformance.proto3' expr: 'TestAllTypes{}'",
        "expr: 'google.protobuf.Int32Value{value: 1} == 1'",
        "expr: 'NestedTestAllTypes{}.child'",
        "expr: 'x' bindings { key: 'x' value { value { object_value { [type.googleapis.com/google.protobuf.Duration] { seconds: 1 } } } } }",
        "expr: 'x' type_env { name: 'x' ident { type { message_type: 'cel.expr.conformance.proto3.TestAllTypes' } } }",
        "expr: 'x' type_env { name: 'x' ident { type { wrapper: INT64 } } }",
        "expr: 'x' value { object_value { type_url: 'type.googleapis.com/google.protobuf.Int32Value' } }",
        "expr: 'x' value { enum_value { type: 'cel.expr.conformance.proto3.GlobalEnum' value: 1 } }",
    ])
    func protocolBufferTestsAreSkipped(text: String) throws {
        let reasons = try skipReasons(text)
        #expect(!reasons.isEmpty)
        #expect(reasons.allSatisfy { $0.kind == .protocolBuffers }, "\(reasons)")
    }

    @Test(arguments: [
        "expr: 'x' unknown { exprs: 1 }",
        "expr: 'x' check_only: true",
        "expr: 'x' type_env { name: 'f' function { } }",
        "expr: 'x' bindings { key: 'x' value { error { } } }",
    ])
    func unsupportedFeaturesAreSkippedWithTheirReason(text: String) throws {
        let reasons = try skipReasons(text)
        #expect(!reasons.isEmpty)
        #expect(reasons.allSatisfy { $0.kind == .unsupportedFeature }, "\(reasons)")
    }

    @Test(arguments: [
        "expr: '1 + 1' value { int64_value: 2 }",
        "expr: 'x' type_env { name: 'x' ident { type { well_known: DURATION } } }",
        "expr: 'x' disable_check: true eval_error { errors { message: 'no such attribute' } }",
        "expr: 'type(1)' value { type_value: 'int' }",
        "expr: 'x.protobuf' value { bool_value: true }",
    ])
    func everythingElseRuns(text: String) throws {
        if case .skipped(let reasons) = try outcome(text) {
            Issue.record("skipped: \(reasons)")
        }
    }
}

@Suite("Conformance value equality")
struct ConformanceEqualityTests {
    @Test func comparesStructurally() {
        #expect(Value.double(.nan).isConformanceEqual(to: .double(.nan)))
        #expect(Value.double(-0.0).isConformanceEqual(to: .double(0)))
        #expect(!Value.int(1).isConformanceEqual(to: .uint(1)))
        #expect(!Value.int(1).isConformanceEqual(to: .double(1)))
        #expect(Value.type(.int).isConformanceEqual(to: .type(TypeValue(name: "int"))))
        #expect(!Value.string("\u{E9}").isConformanceEqual(to: .string("e\u{301}")))
        let ab = Value.map(CELMap([(MapKey.string("a"), Value.int(1)), (.int(2), .list([.bool(true)]))]))
        let ba = Value.map(CELMap([(MapKey.int(2), Value.list([.bool(true)])), (.string("a"), .int(1))]))
        #expect(ab.isConformanceEqual(to: ba))
        let uintKey = Value.map(CELMap([(MapKey.string("a"), Value.int(1)), (.uint(2), .list([.bool(true)]))]))
        #expect(!ab.isConformanceEqual(to: uintKey))
        #expect(!Value.list([.int(1)]).isConformanceEqual(to: .list([.int(1), .int(2)])))
    }
}
