import Foundation
import Logging
import ServiceLifecycle

/// Writes the counted decision distributions to the store every minute (and on shutdown), and
/// runs the drift and oversight checks once per hour, just after the hour turns.
public struct DriftService: Service {
    let gateway: Gateway
    /// How often the distributions are written.
    public static let flushInterval: TimeInterval = 60

    public init(gateway: Gateway) {
        self.gateway = gateway
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var checkedHour = Self.hour(of: gateway.clock.now())
            while !Task.isCancelled {
                do {
                    try await gateway.clock.sleep(for: Self.flushInterval)
                } catch {
                    return
                }
                let hour = Self.hour(of: gateway.clock.now())
                do {
                    if hour != checkedHour {
                        checkedHour = hour
                        try await gateway.checkDrift()
                        try await gateway.checkReviewLatency()
                        try await gateway.checkOversight()
                    } else {
                        try await gateway.flushDistributions()
                    }
                } catch {
                    gateway.logger.warning("writing decision distributions or checking drift failed", metadata: ["error": "\(error)"])
                }
            }
        }
        try? await gateway.flushDistributions()
    }

    static func hour(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 3600).rounded(.down)) }
}
