import Foundation
import NIOSSL
import PostgresNIO

/// TLS to the database, as libpq's URL parameters say it: `sslmode` and `sslrootcert`.
///
/// | `sslmode` | encrypted | server certificate checked |
/// |---|---|---|
/// | `disable` | no | — |
/// | `prefer` (the default, as libpq's) | when the server offers TLS | no |
/// | `require` | always, or no connection | no |
/// | `verify-ca` | always | signed by a trusted CA (`sslrootcert`, else the system's roots) |
/// | `verify-full` | always | as `verify-ca`, and issued for the host the URL names |
struct PostgresTLSMode: Sendable {
    enum Mode: String, CaseIterable, Sendable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"

        var requiresTLS: Bool { self != .disable && self != .prefer }
    }

    var mode: Mode = .prefer
    /// A PEM file of the certificate authorities to trust (`sslrootcert`).
    var rootCertificates: String?

    /// Reads `sslmode` and `sslrootcert` from a URL's query; every other parameter but `host` is
    /// refused, naming it, rather than silently ignored.
    static func parse(_ items: [URLQueryItem]) throws -> PostgresTLSMode {
        var settings = PostgresTLSMode()
        for item in items {
            switch item.name {
            case "host": continue
            case "sslmode":
                guard let mode = item.value.flatMap(Mode.init(rawValue:)) else {
                    throw StoreError(
                        .invalidArgument,
                        "sslmode=\(item.value ?? "") in the PostgreSQL URL is not one of "
                            + Mode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                settings.mode = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else {
                    throw StoreError(.invalidArgument, "sslrootcert in the PostgreSQL URL names no file")
                }
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw StoreError(.invalidArgument, "sslrootcert=\(path) in the PostgreSQL URL: no readable file there")
                }
                settings.rootCertificates = path
            default:
                throw StoreError(
                    .invalidArgument,
                    "the PostgreSQL URL's parameter '\(item.name)' is not one Airlock reads (host, sslmode, sslrootcert)")
            }
        }
        if settings.rootCertificates != nil, settings.mode != .verifyCA, settings.mode != .verifyFull {
            throw StoreError(
                .invalidArgument,
                "sslrootcert is only used with sslmode=verify-ca or verify-full (sslmode=\(settings.mode.rawValue) checks no certificate)")
        }
        return settings
    }

    /// What postgres-nio's client is given.
    var clientTLS: PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable:
            return .disable
        case .prefer, .require:
            tls.certificateVerification = .none
            // Nothing is checked against them: not loading the system's roots saves each pool that.
            tls.trustRoots = .certificates([])
            return mode == .prefer ? .prefer(tls) : .require(tls)
        case .verifyCA, .verifyFull:
            tls.certificateVerification = mode == .verifyCA ? .noHostnameVerification : .fullVerification
            if let rootCertificates { tls.trustRoots = .file(rootCertificates) }
            return .require(tls)
        }
    }
}
