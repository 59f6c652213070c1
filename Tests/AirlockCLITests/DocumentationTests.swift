import Foundation
import Testing

@Suite("docs/audit.md")
struct DocumentationTests {
    @Test("the script printed in docs/audit.md is scripts/verify_audit.py, byte for byte")
    func scriptMatches() async throws {
        let root = CommandRunner.packageRoot
        let doc = try String(contentsOf: root.appendingPathComponent("docs/audit.md"), encoding: .utf8)
        let script = try String(contentsOf: root.appendingPathComponent("scripts/verify_audit.py"), encoding: .utf8)
        let start = try #require(doc.range(of: "```python\n"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        #expect(String(doc[start.upperBound..<end.lowerBound]) == script)
    }
}
