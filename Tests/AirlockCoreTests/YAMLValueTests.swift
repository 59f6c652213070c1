import AirlockCore
import CEL
import Testing

@Suite struct YAMLValueTests {
    private func field(_ yaml: String) throws -> Value? {
        guard case .map(let map) = try YAMLValue.parse("v: \(yaml)") else { return nil }
        return map["v"]
    }

    @Test func coreSchemaNotYAML11() throws {
        #expect(CanonicalJSON.encode(try #require(try field("yes"))) == #""yes""#)
        #expect(CanonicalJSON.encode(try #require(try field("off"))) == #""off""#)
        #expect(CanonicalJSON.encode(try #require(try field("08:00"))) == #""08:00""#)
        #expect(CanonicalJSON.encode(try #require(try field("true"))) == "true")
        #expect(CanonicalJSON.encode(try #require(try field("~"))) == "null")
        #expect(CanonicalJSON.encode(try #require(try field("12"))) == "12")
        #expect(CanonicalJSON.encode(try #require(try field("-0x1f"))) == "-31")
        #expect(CanonicalJSON.encode(try #require(try field("1e3"))) == "1000.0")
        #expect(CanonicalJSON.encode(try #require(try field("\"12\""))) == #""12""#)
        #expect(CanonicalJSON.encode(try #require(try field("!!str 12"))) == #""12""#)
        #expect(CanonicalJSON.encode(try #require(try field("2025-01-06T12:00:00Z"))) == #""2025-01-06T12:00:00Z""#)
        #expect(CanonicalJSON.encode(try #require(try field("18446744073709551615"))) == "18446744073709551615")
    }

    @Test func readsJSON() throws {
        let value = try YAMLValue.parse(#"{"a": [1, 2.5, "x", null, true], "b": {"c": "é"}}"#)
        #expect(CanonicalJSON.encode(value) == #"{"a":[1,2.5,"x",null,true],"b":{"c":"é"}}"#)
    }

    @Test func syntaxErrorsArePlaced() {
        #expect {
            _ = try YAMLValue.parse("a: [1, 2\nb: 3", file: "x.yaml")
        } throws: { error in
            guard let error = error as? PolicyError, let problem = error.problems.first else { return false }
            return problem.location.file == "x.yaml" && problem.code == .yamlSyntax && problem.location.line >= 1
        }
    }
}
