import CEL
import Testing

@Suite("Value from and to JSON")
struct JSONTests {
    /// Reads JSON and returns the value's CEL description, which tells `1`, `1u` and `1.0` apart.
    private func read(_ json: String) throws -> String {
        try Value(json: json).description
    }

    @Test(arguments: [
        ("0", "0"),
        ("-12", "-12"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("9223372036854775808", "9223372036854775808u"),
        ("18446744073709551615", "18446744073709551615u"),
        ("18446744073709551616", "1.8446744073709552e+19"),
        ("-9223372036854775809", "-9.223372036854776e+18"),
        ("1.5", "1.5"),
        ("1.0", "1.0"),
        ("-0.0", "-0.0"),
        ("1e2", "100.0"),
        ("2E-3", "0.002"),
    ])
    func numbers(json: String, expected: String) throws {
        #expect(try read(json) == expected)
    }

    /// What the reader gave a number before it read the common ones without text: `Int64`, then
    /// `UInt64` for integers, and `Double` for the rest.
    private static func fromText(_ text: String) -> Value {
        if !text.contains("."), !text.contains("e") {
            if let int = Int64(text) { return .int(int) }
            if let uint = UInt64(text) { return .uint(uint) }
        }
        return .double(Double(text)!)
    }

    private static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): x == y
        case (.uint(let x), .uint(let y)): x == y
        case (.double(let x), .double(let y)): x.bitPattern == y.bitPattern
        default: false
        }
    }

    @Test func numbersReadWithoutTextAreWhatTheirTextGives() throws {
        // Seeded, so that a failure repeats.
        var state: UInt64 = 12_345
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        func digits(_ count: Int, leading: Bool) -> String {
            String((0..<count).map { i in Character(String(i == 0 && leading ? 1 + next(9) : next(10))) })
        }
        var texts = [
            "0", "-0", "0.1", "0.2", "0.3", "-0.0", "0.0", "1.5", "123456789012345", "999999999999999.9",
            "12345678901234.5", "123456789012345.6", "0.000000000000001", "0.1234567890123456789", "9007199254740993.0",
            "999999999999999999", "-999999999999999999", "9999999999999999999", "123456.7e3", "4.35", "1234.56",
        ]
        for _ in 0..<20_000 {
            let integer = next(4) == 0 ? "0" : digits(1 + next(19), leading: true)
            var text = (next(3) == 0 ? "-" : "") + integer
            if next(4) > 0 { text += "." + digits(1 + next(20), leading: false) }
            texts.append(text)
        }
        for text in texts {
            let read = try Value(json: text)
            #expect(Self.same(read, Self.fromText(text)), "\(text): \(read)")
            let inList = try Value(json: "[\(text)]")
            guard case .list(let items) = inList, let first = items.first else {
                Issue.record("\(text) in a list: \(inList)")
                continue
            }
            #expect(Self.same(first, Self.fromText(text)), "\(text) in a list")
            let alone = Array(text.utf8).withUnsafeBufferPointer { Value.jsonNumber($0) }
            #expect(Self.same(alone ?? .null, Self.fromText(text)), "\(text) as a number token")
        }
        for text in ["", " 1", "1 ", "1,", "x", "01", "1.", "-", "1e", "\"1\"", "true", "1e400"] {
            #expect(Array(text.utf8).withUnsafeBufferPointer { Value.jsonNumber($0) } == nil, "\(text) is not a number token")
        }
    }

    @Test("bytes read in place give the value, or the error, the text gives", arguments: [
        #"{"a": [1, 2.5, "x\u00e9"], "b": {"c": null}}"#, "[1, 2", #"{"a" 1}"#, "18446744073709551616", "é",
    ])
    func bytesInPlace(json: String) {
        var text = json
        let inPlace = text.withUTF8 { bytes in Result { () throws(JSONError) in try Value(validUTF8JSON: bytes) } }
        let copied = Result { () throws(JSONError) in try Value(json: json) }
        #expect("\(inPlace.map(\.description))" == "\(copied.map(\.description))")
    }

    @Test func literalsAndStrings() throws {
        #expect(try read("true") == "true")
        #expect(try read(" false ") == "false")
        #expect(try read("null") == "null")
        #expect(try read(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == #""a\"b\\c/d\n\té😀""#)
        #expect(try read(#""plain é""#) == #""plain é""#)
    }

    @Test func containers() throws {
        #expect(try read("[]") == "[]")
        #expect(try read("{}") == "{}")
        #expect(try read(#"[1, "two", [3.5], {"k": null}]"#) == #"[1, "two", [3.5], {"k": null}]"#)
        // Objects keep document order and have string keys.
        let value = try Value(json: #"{"b": 1, "a": {"c": [true]}}"#)
        guard case .map(let map) = value else {
            Issue.record("expected a map, got \(value)")
            return
        }
        #expect(map.keys == [.string("b"), .string("a")])
        #expect(map["a"]?.description == #"{"c": [true]}"#)
    }

    @Test(arguments: [
        ("", 1, 1, "unexpected end of input"),
        ("[1,]", 1, 4, "expected a value"),
        ("[1 2]", 1, 4, "expected ',' or ']'"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("{a: 1}", 1, 2, "expected a string key"),
        ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key"),
        ("\n  [tru]", 2, 4, "expected 'true'"),
        ("01", 1, 1, "leading zeros"),
        ("1.", 1, 3, "expected a digit after '.'"),
        ("1e", 1, 3, "exponent"),
        ("-", 1, 2, "expected a digit"),
        ("1e400", 1, 1, "out of range"),
        ("\"abc", 1, 1, "unterminated string"),
        ("\"a\u{1}\"", 1, 3, "control character"),
        ("\"\\q\"", 1, 2, "invalid escape"),
        ("\"\\ud800\"", 1, 2, "unpaired surrogate"),
        ("\"\\u12\"", 1, 6, "four hex digits"),
        ("[1] x", 1, 5, "after the JSON value"),
        ("é [", 1, 1, "expected a value"),
        ("[\"é\", x]", 1, 7, "expected a value"),
        ("NaN", 1, 1, "expected a value"),
    ])
    func errorsCarryLineAndColumn(json: String, line: Int, column: Int, message: String) {
        #expect {
            _ = try Value(json: json)
        } throws: { error in
            guard let error = error as? JSONError else { return false }
            return error.line == line && error.column == column && error.message.contains(message)
        }
    }

    @Test func nestingIsLimited() throws {
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try Value(json: deepest) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONError.self) { try Value(json: tooDeep) }
        let objects = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        #expect {
            try Value(json: objects)
        } throws: { error in
            (error as? JSONError)?.message.contains("nesting") == true
        }
    }

    @Test func writesJSON() throws {
        let map = CELMap([
            (MapKey.string("s"), Value.string("a\"b\n")),
            (.int(1), .bytes([0, 255, 65])),
            (.uint(2), .uint(18_446_744_073_709_551_615)),
            (.bool(true), .list([.null, .bool(false), .int(-3), .double(2.5), .double(3)])),
            (.string("t"), .timestamp(Timestamp(seconds: 1_234_567_890, nanos: 123_456_789))),
            (.string("d"), .duration(CELDuration(seconds: -90, nanos: -123_456_789))),
            (.string("type"), .type(.timestamp)),
            (.string("nan"), .list([.double(.nan), .double(.infinity), .double(-.infinity)])),
        ])
        #expect(
            Value.map(map).jsonString()
                == #"{"s":"a\"b\n","1":"AP9B","2":18446744073709551615,"true":[null,false,-3,2.5,3.0],"#
                + #""t":"2009-02-13T23:31:30.123456789Z","d":"-90.123456789s","type":"google.protobuf.Timestamp","#
                + #""nan":["NaN","Infinity","-Infinity"]}"#)
    }

    @Test func writesPrettyJSON() {
        let value = Value.map(CELMap(["a": .list([.int(1), .int(2)]), "b": .map(CELMap())]))
        #expect(
            value.jsonString(prettyPrinted: true) == """
                {
                  "a": [
                    1,
                    2
                  ],
                  "b": {}
                }
                """)
    }

    @Test(arguments: ["\"\"", "\"x\"", "[1,2.5,\"é\"]", "{\"a\":{\"b\":[null,true]}}", "-7", "18446744073709551615"])
    func roundTrips(json: String) throws {
        #expect(try Value(json: json).jsonString() == json)
    }

    @Test func base64Padding() {
        #expect(Value.bytes(Array("f".utf8)).jsonString() == #""Zg==""#)
        #expect(Value.bytes(Array("fo".utf8)).jsonString() == #""Zm8=""#)
        #expect(Value.bytes(Array("foo".utf8)).jsonString() == #""Zm9v""#)
        #expect(Value.bytes([]).jsonString() == #""""#)
    }

    @Test func describesValuesAsCEL() {
        #expect(Value.int(1).description == "1")
        #expect(Value.uint(2).description == "2u")
        #expect(Value.double(1).description == "1.0")
        #expect(Value.double(1e100).description == "1e+100")
        #expect(Value.double(.nan).description == #"double("NaN")"#)
        #expect(Value.double(-.infinity).description == #"double("-Infinity")"#)
        #expect(Value.string("s\u{0}").description == #""s\u0000""#)
        #expect(Value.bytes([0, 0x41, 0x22, 0xFF]).description == #"b"\x00A\"\xff""#)
        #expect(Value.list([.int(1), .int(2)]).description == "[1, 2]")
        #expect(
            Value.map(CELMap([(MapKey.string("a"), Value.int(1)), (.uint(3), .null)])).description
                == #"{"a": 1, 3u: null}"#)
        #expect(Value.timestamp(Timestamp(seconds: 0)).description == #"timestamp("1970-01-01T00:00:00Z")"#)
        #expect(Value.duration(CELDuration(seconds: 90)).description == #"duration("90s")"#)
        #expect(Value.type(.int).description == "int")
        #expect(Value.null.description == "null")
    }
}
