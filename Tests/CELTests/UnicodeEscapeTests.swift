import Testing

@testable import CEL

/// `\u` and `\U` escapes name any Unicode code point, assigned or not; only surrogates and values
/// past U+10FFFF are refused (language definition, "String and Bytes Values").
@Suite struct UnicodeEscapeTests {
    @Test(arguments: [
        // Unassigned: plane 8 has no characters, U+0378 is a gap in Greek, U+2FE0 one after the
        // Kangxi radicals, U+E0080 one among the tags.
        (#""\U00088888""#, 0x88888),
        (#"'\u0378'"#, 0x378),
        (#"'''\u2FE0'''"#, 0x2FE0),
        (#""""\U000E0080""""#, 0xE0080),
        // Noncharacters, private use and the ends of the range are code points too.
        (#""\uFFFF""#, 0xFFFF),
        (#""\U0010FFFF""#, 0x10FFFF),
        (#""\uE000""#, 0xE000),
        (#""\uD7FF""#, 0xD7FF),
        (#""\u0000""#, 0),
    ])
    func anyCodePointIsAccepted(source: String, codePoint: UInt32) throws {
        let expr = try Parser.parse(Source(source))
        guard case .literal(.string(let text)) = expr.kind else {
            Issue.record("not a string literal: \(expr.kind)")
            return
        }
        #expect(text.unicodeScalars.map(\.value) == [codePoint])
    }

    @Test func anUnassignedCodePointIsOneCharacterOfTheString() throws {
        let program = try Environment().compile(#"size("a\U00088888b") == 3 && "\U00088888" == "\U00088888""#)
        #expect(valuesEqual(try program.evaluate(Activation()), .bool(true)))
    }

    @Test func anUnassignedCodePointInBytesIsItsUTF8() throws {
        let expr = try Parser.parse(Source(#"b"\u0378""#))
        guard case .literal(.bytes(let octets)) = expr.kind else {
            Issue.record("not a bytes literal: \(expr.kind)")
            return
        }
        #expect(octets == Array("\u{378}".utf8))
    }

    @Test(arguments: [
        (#""\uD800""#, "U+D800 is a surrogate", 2),
        (#""\uDBFF""#, "U+DBFF is a surrogate", 2),
        (#""ok \udc00""#, "U+DC00 is a surrogate", 5),
        (#""\U0000D800""#, "U+D800 is a surrogate", 2),
        (#"b'\uD800'"#, "U+D800 is a surrogate", 3),
        (#""\U00110000""#, "U+110000 is beyond U+10FFFF", 2),
        (#"'''\UFFFFFFFF'''"#, "U+FFFFFFFF is beyond U+10FFFF", 4),
        (#""\U7FFFFFFF""#, "U+7FFFFFFF is beyond U+10FFFF", 2),
    ])
    func surrogatesAndValuesPastTheRangeAreRefused(source: String, message: String, column: Int) {
        do {
            _ = try Parser.parse(Source(source))
            Issue.record("\(source) parsed")
        } catch {
            #expect(error.stage == .syntax)
            let issue = error.issues.first
            #expect(issue?.message.hasPrefix("invalid Unicode code point in escape sequence: ") == true)
            #expect(issue?.message.contains(message) == true, "message: \(issue?.message ?? "none")")
            #expect(issue?.location.column == column)
        }
    }

    @Test func rawStringsKeepTheEscapeAsText() throws {
        let expr = try Parser.parse(Source(#"r"\uD800\U00110000""#))
        guard case .literal(.string(let text)) = expr.kind else {
            Issue.record("not a string literal: \(expr.kind)")
            return
        }
        #expect(text == #"\uD800\U00110000"#)
    }
}
