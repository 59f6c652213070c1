import AirlockCore
import CEL
import Testing

@Suite struct CanonicalJSONTests {
    @Test func sortsKeysAndDropsWhitespace() {
        let value = Value.map(CELMap([
            (.string("b"), .int(1)), (.string("a"), .list([.bool(true), .null])), (.string("é"), .string("x")),
            (.string("Z"), .double(1.5)),
        ]))
        #expect(CanonicalJSON.encode(value) == #"{"Z":1.5,"a":[true,null],"b":1,"é":"x"}"#)
    }

    @Test func sameContentSameTextWhateverTheInsertionOrder() {
        let a = Value.map(CELMap([(.string("x"), .int(1)), (.string("y"), .int(2))]))
        let b = Value.map(CELMap([(.string("y"), .int(2)), (.string("x"), .int(1))]))
        #expect(CanonicalJSON.encode(a) == CanonicalJSON.encode(b))
        #expect(CanonicalJSON.hash(a) == CanonicalJSON.hash(b))
    }

    /// Policy versions and stored content hashes are these digests: they must never change.
    @Test func hashIsTheSHA256OfTheCanonicalTextInLowercaseHex() {
        let value = Value.map(CELMap([
            (.string("b"), .int(1)), (.string("a"), .list([.bool(true), .null])), (.string("é"), .string("x")),
            (.string("Z"), .double(1.5)),
        ]))
        #expect(CanonicalJSON.hash(value) == "ccde3ba610884442d509e00bdea24243d0e352df5cd757554d175044c2d96b63")
        #expect(CanonicalJSON.hash(.string("abc")) == "6cc43f858fbb763301637b5af970e2a46b46f461f27e5a0f41e009c59b827b25")
        #expect(CanonicalJSON.hash(.null) == "74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b")
    }

    @Test func numbers() {
        #expect(CanonicalJSON.encode(.int(-12)) == "-12")
        #expect(CanonicalJSON.encode(.uint(18_446_744_073_709_551_615)) == "18446744073709551615")
        #expect(CanonicalJSON.encode(.double(1)) == "1.0")
        #expect(CanonicalJSON.encode(.double(0.1)) == "0.1")
        #expect(CanonicalJSON.encode(.double(1e20)) == "1e+20")
        #expect(CanonicalJSON.encode(.double(-0.0)) == "-0.0")
        #expect(CanonicalJSON.encode(.double(5e-324)) == "5e-324")
        #expect(CanonicalJSON.encode(.double(.nan)) == #""NaN""#)
        #expect(CanonicalJSON.encode(.double(-.infinity)) == #""-Infinity""#)
        // An int and a double of the same value stay distinct.
        #expect(CanonicalJSON.encode(.int(3)) != CanonicalJSON.encode(.double(3)))
    }

    @Test func strings() {
        #expect(CanonicalJSON.encode(.string("a\"b\\c\n\t\u{01}")) == #""a\"b\\c\n\t\u0001""#)
        #expect(CanonicalJSON.encode(.string("Zürich ✅ 日本")) == "\"Zürich ✅ 日本\"")
    }

    @Test func otherTypes() {
        #expect(CanonicalJSON.encode(.bytes([0, 1, 2, 255])) == #""AAEC/w==""#)
        #expect(CanonicalJSON.encode(.timestamp(Timestamp(seconds: 1_736_164_800))) == #""2025-01-06T12:00:00Z""#)
        #expect(
            CanonicalJSON.encode(.timestamp(Timestamp(seconds: 1_736_164_800, nanos: 120_000_000)))
                == #""2025-01-06T12:00:00.12Z""#)
        #expect(CanonicalJSON.encode(.timestamp(Timestamp(seconds: -62_135_596_800, nanos: 1))) == #""0001-01-01T00:00:00.000000001Z""#)
        #expect(CanonicalJSON.encode(.duration(CELDuration(seconds: 1, nanos: 500_000_000))) == #""1.5s""#)
        let keyed = Value.map(CELMap([(.int(2), .string("b")), (.bool(true), .string("t"))]))
        #expect(CanonicalJSON.encode(keyed) == #"{"2":"b","true":"t"}"#)
    }
}
