/// One audit record as raw bytes (a database row, or a record's strings), for hashing without
/// copying. Valid only inside the closure it is handed to.
struct AuditRowView {
    var seq: Int64
    var timeMicros: Int64
    var kind: UnsafeRawBufferPointer
    var mutationID: UnsafeRawBufferPointer?
    var actor: UnsafeRawBufferPointer
    var policyVersion: UnsafeRawBufferPointer?
    var payload: UnsafeRawBufferPointer
    var previousHash: UnsafeRawBufferPointer
    var hash: UnsafeRawBufferPointer
}

extension AuditRecord {
    /// Calls `body` with this record's bytes.
    func withRowView<R>(_ body: (AuditRowView) throws -> R) rethrows -> R {
        try withUTF8(kind.rawValue) { kind in
            try withOptionalUTF8(mutationID) { mutationID in
                try withUTF8(actor) { actor in
                    try withOptionalUTF8(policyVersion) { policyVersion in
                        try withUTF8(payload) { payload in
                            try previousHash.withUnsafeBytes { previous in
                                try hash.withUnsafeBytes { hash in
                                    try body(
                                        AuditRowView(
                                            seq: seq, timeMicros: timeMicros, kind: kind, mutationID: mutationID,
                                            actor: actor, policyVersion: policyVersion, payload: payload,
                                            previousHash: previous, hash: hash))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

private func withUTF8<R>(_ string: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var string = string
    return try string.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
}

private func withOptionalUTF8<R>(_ string: String?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    guard let string else { return try body(nil) }
    return try withUTF8(string) { try body($0) }
}
