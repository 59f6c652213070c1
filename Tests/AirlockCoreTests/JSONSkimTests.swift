@testable import AirlockCore
import CEL
import Testing

/// The skim's word-at-a-time scans find what a byte-at-a-time scan finds.
@Suite struct JSONSkimTests {
    /// A small seeded generator, so that a failure repeats.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var x = state
            x ^= x >> 33
            x = x &* 0xff51_afd7_ed55_8ccd
            return x ^ (x >> 33)
        }
    }

    /// Where a byte-at-a-time scan ends the string whose text starts at `start`.
    static func naiveStringEnd(_ b: [UInt8], _ start: Int) -> Int? {
        var i = start
        while i < b.count, b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
        return i < b.count ? i : nil
    }

    @Test func theEndOfAStringIsWhereAByteScanFindsIt() {
        var random = Generator(state: 42)
        // Mostly plain bytes, some quotes and backslashes, at every alignment and length.
        let alphabet: [UInt8] = Array("abcdefgh01 ,:{}".utf8) + [0xC3, 0xA9, 0x80, 0xFF] + Array(repeating: UInt8(ascii: "\""), count: 2)
            + Array(repeating: UInt8(ascii: "\\"), count: 2)
        var checked = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &random)
            let plainRun = Bool.random(using: &random)
            let bytes: [UInt8] = (0..<length).map { _ in
                plainRun && Int.random(in: 0..<10, using: &random) > 0
                    ? UInt8(ascii: "a") : alphabet.randomElement(using: &random)!
            }
            for start in 0...bytes.count {
                let fast = bytes.withUnsafeBufferPointer { JSONSkim.stringEnd($0, start) }
                #expect(fast == Self.naiveStringEnd(bytes, start), "\(bytes) from \(start)")
                checked += 1
            }
        }
        #expect(checked > 200_000)
    }

    @Test(arguments: [
        (#""abc" "#, 5), (#""a\"bcdefghijk" "#, 15), (#""abcdefgh\\" "#, 12), (#""abcdefghijklmnopq\"rstuvwxyz""#, 30),
        (#"{"k":"v\\\"w","l":[1,"]"]} "#, 26), (#""unterminated\""#, -1), (#""\"#, -1),
    ] as [(String, Int)])
    func valuesEndWhereTheyEnd(text: String, end: Int) {
        let bytes = Array(text.utf8)
        let found = bytes.withUnsafeBufferPointer { JSONSkim.skipValue($0, 0) }
        #expect(found == (end < 0 ? nil : end), "\(text)")
    }

    @Test(arguments: [
        (#"{"a":{"b":[1,2.5,"x"]},"c":1}"#, 5, 22, #"{"b":[1,2.5,"x"]}"#),
        (#"[{"k":"é"}, 2]"#, 1, 11, #"{"k":"é"}"#),
        (#"{"a":nul}"#, 5, -1, ""),
        (#"{"a":"unterminated}"#, 5, -1, ""),
    ] as [(String, Int, Int, String)])
    func aValueIsReadWhereItLiesAndEndsWhereItEnds(text: String, start: Int, end: Int, expected: String) throws {
        let bytes = Array(text.utf8)
        let read = bytes.withUnsafeBufferPointer { JSONSkim.value($0, from: start, enclosedBy: 1) }
        guard end >= 0 else {
            #expect(read == nil, "\(text)")
            return
        }
        let (value, found) = try #require(read, "\(text)")
        #expect(found == end)
        #expect(CanonicalJSON.encode(value) == CanonicalJSON.encode(try Value(json: expected)))
    }

    @Test func theNestingBoundCountsTheEnclosingLevels() {
        // 62 levels inside one: what the general path reads of the whole text, and no deeper.
        func nested(_ levels: Int) -> [UInt8] {
            Array(("{\"a\":" + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "}").utf8)
        }
        #expect(nested(63).withUnsafeBufferPointer { JSONSkim.value($0, from: 5, enclosedBy: 1) } != nil)
        #expect(nested(64).withUnsafeBufferPointer { JSONSkim.value($0, from: 5, enclosedBy: 1) } == nil)
        #expect((try? Value(json: String(decoding: nested(63), as: UTF8.self))) != nil)
        #expect((try? Value(json: String(decoding: nested(64), as: UTF8.self))) == nil)
    }

    @Test func textThatIsNotUTF8IsNotReadAsAValue() {
        // A string holding a lone continuation byte, inside a larger text.
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0x80] + Array(#""}"#.utf8)
        #expect(bytes.withUnsafeBufferPointer { JSONSkim.value($0, from: 5, enclosedBy: 1) } == nil)
        #expect(bytes.withUnsafeBufferPointer { JSONSkim.isASCII($0, 0..<5) })
        #expect(!bytes.withUnsafeBufferPointer { JSONSkim.isASCII($0, 0..<$0.count) })
        let long = Array(repeating: UInt8(ascii: "a"), count: 17) + [0xC3, 0xA9]
        #expect(long.withUnsafeBufferPointer { JSONSkim.isASCII($0, 0..<17) })
        #expect(!long.withUnsafeBufferPointer { JSONSkim.isASCII($0, 0..<18) })
    }

    @Test func equalBytesAreEqualAndOthersAreNot() {
        var random = Generator(state: 7)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...37, using: &random)
            let a: [UInt8] = (0..<length).map { _ in UInt8.random(in: 0...3, using: &random) }
            var b = a
            if !b.isEmpty, Bool.random(using: &random) { b[Int.random(in: 0..<b.count, using: &random)] ^= 1 }
            if Int.random(in: 0..<8, using: &random) == 0 { b.append(0) }
            let same = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in JSONSkim.equal(pa, pb) } }
            #expect(same == (a == b), "\(a) \(b)")
        }
    }

    @Test(arguments: [
        (#""plain""#, "plain"), (#""é""#, "é"), (#""a\"b""#, nil), ("\"a\u{1}b\"", nil), (#""""#, ""), (#"plain"#, nil),
    ] as [(String, String?)])
    func plainStrings(text: String, expected: String?) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBufferPointer { JSONSkim.plainString($0, 0..<$0.count) } == expected)
    }

    @Test func plainStringsRefuseInvalidUTF8() {
        let bytes: [UInt8] = [UInt8(ascii: "\""), 0xC3, UInt8(ascii: "\"")]
        #expect(bytes.withUnsafeBufferPointer { JSONSkim.plainString($0, 0..<$0.count) } == nil)
    }
}
