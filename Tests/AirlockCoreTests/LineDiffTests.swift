import AirlockCore
import Testing

@Suite struct LineDiffTests {
    @Test("kept, removed and added lines come in order, removals before additions")
    func order() {
        let old = "a\nb\nc\nd\n"
        let new = "a\nB\nc\nd\ne\n"
        #expect(LineDiff.lines(from: old, to: new) == [.same("a"), .removed("b"), .added("B"), .same("c"), .same("d"), .added("e")])
    }

    @Test("equal texts are all kept; an empty side is all added or all removed")
    func edges() {
        #expect(LineDiff.lines(from: "x\ny", to: "x\ny\n") == [.same("x"), .same("y")])
        #expect(LineDiff.lines(from: "", to: "x\n") == [.added("x")])
        #expect(LineDiff.lines(from: "x\n", to: "") == [.removed("x")])
    }

    @Test("every line of both texts appears exactly once, in each text's order")
    func complete() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let a = (0..<Int.random(in: 0...12, using: &generator)).map { _ in String(Int.random(in: 0...4, using: &generator)) }
            let b = (0..<Int.random(in: 0...12, using: &generator)).map { _ in String(Int.random(in: 0...4, using: &generator)) }
            let lines = LineDiff.lines(from: a.joined(separator: "\n"), to: b.joined(separator: "\n"))
            let oldSide = lines.compactMap { line -> String? in
                switch line {
                case .same(let t), .removed(let t): t
                case .added: nil
                }
            }
            let newSide = lines.compactMap { line -> String? in
                switch line {
                case .same(let t), .added(let t): t
                case .removed: nil
                }
            }
            #expect(oldSide == a)
            #expect(newSide == b)
        }
    }
}
