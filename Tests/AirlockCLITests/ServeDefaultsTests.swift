import Foundation
import Testing

@Suite("airlock serve on the embedded defaults")
struct ServeDefaultsTests {
    @Test("outside the checkout it says where the example pack is expected, and creates nothing")
    func outsideTheCheckout() async throws {
        let airlock = try CommandRunner.requireAirlock()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await CommandRunner.run(airlock, ["serve", "--listen", "127.0.0.1:0"], in: directory.url, timeout: 30)
        #expect(outcome.status != 0)
        #expect(outcome.errorOutput.contains("examples/policies"), "\(outcome.errorOutput)")
        #expect(outcome.errorOutput.contains("run from the Airlock checkout"), "\(outcome.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent(".airlock").path))
    }
}
