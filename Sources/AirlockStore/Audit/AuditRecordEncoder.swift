/// The canonical encoding of an audit record, and its hash (docs/audit.md, "Record encoding").
///
/// The hash is SHA-256(0x00 ‖ encoding): the record's RFC 6962 leaf hash, so one hash serves both
/// the chain and the Merkle tree.
///
/// ```
/// u8     format = 1
/// u64be  seq
/// i64be  time_us
/// str    kind
/// ostr   mutation_id
/// str    actor
/// ostr   policy_version
/// str    payload
/// [32]   prev_hash
/// str  = u32be byte length, then the UTF-8 bytes
/// ostr = 0x00 when absent, or 0x01 then str
/// hash = SHA-256(0x00 ‖ encoding)
/// ```
///
/// The encoder reuses one buffer, so hashing a run of records allocates nothing per record.
struct AuditRecordEncoder {
    static let format: UInt8 = 1

    /// Scratch space, grown to the largest record seen.
    private var buffer = [UInt8](repeating: 0, count: 1024)

    init() {}

    /// The hash of a record given as Swift values.
    mutating func hash(
        seq: Int64, timeMicros: Int64, kind: String, mutationID: String?, actor: String, policyVersion: String?,
        payload: String, previousHash: AuditHash
    ) -> AuditHash {
        var kind = kind
        var mutationID = mutationID
        var actor = actor
        var policyVersion = policyVersion
        var payload = payload
        return kind.withUTF8 { kind in
            Self.withOptionalUTF8(&mutationID) { mutationID in
                actor.withUTF8 { actor in
                    Self.withOptionalUTF8(&policyVersion) { policyVersion in
                        payload.withUTF8 { payload in
                            previousHash.withUnsafeBytes { previousHash in
                                hash(
                                    seq: seq, timeMicros: timeMicros, kind: UnsafeRawBufferPointer(kind),
                                    mutationID: mutationID, actor: UnsafeRawBufferPointer(actor),
                                    policyVersion: policyVersion, payload: UnsafeRawBufferPointer(payload),
                                    previousHash: previousHash)
                            }
                        }
                    }
                }
            }
        }
    }

    private static func withOptionalUTF8<R>(_ string: inout String?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard var text = string else { return body(nil) }
        defer { string = text }
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    /// The hash of a record given as raw UTF-8 bytes (as read from a database row); a `nil` buffer
    /// is an absent optional field.
    mutating func hash(
        seq: Int64, timeMicros: Int64, kind: UnsafeRawBufferPointer, mutationID: UnsafeRawBufferPointer?,
        actor: UnsafeRawBufferPointer, policyVersion: UnsafeRawBufferPointer?, payload: UnsafeRawBufferPointer,
        previousHash: UnsafeRawBufferPointer
    ) -> AuditHash {
        let size =
            18 + 4 + kind.count + 1 + (mutationID.map { 4 + $0.count } ?? 0) + 4 + actor.count + 1
            + (policyVersion.map { 4 + $0.count } ?? 0) + 4 + payload.count + previousHash.count
        if buffer.count < size {
            buffer = [UInt8](repeating: 0, count: max(size, 2 * buffer.count))
        }
        return buffer.withUnsafeMutableBytes { output in
            var writer = Writer(output: output)
            writer.byte(0x00)  // RFC 6962 leaf prefix
            writer.byte(Self.format)
            writer.bigEndian(UInt64(bitPattern: seq))
            writer.bigEndian(UInt64(bitPattern: timeMicros))
            writer.string(kind)
            writer.optionalString(mutationID)
            writer.string(actor)
            writer.optionalString(policyVersion)
            writer.string(payload)
            writer.bytes(previousHash)
            return AuditHash.sha256(UnsafeRawBufferPointer(rebasing: output[..<writer.offset]))
        }
    }

    /// Writes fields into a buffer known to be large enough.
    private struct Writer {
        let output: UnsafeMutableRawBufferPointer
        var offset = 0

        mutating func byte(_ value: UInt8) {
            output[offset] = value
            offset += 1
        }

        mutating func bigEndian(_ value: UInt64) {
            output.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }

        mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count > 0 else { return }
            UnsafeMutableRawBufferPointer(rebasing: output[offset..<offset + bytes.count]).copyMemory(from: bytes)
            offset += bytes.count
        }

        mutating func string(_ bytes: UnsafeRawBufferPointer) {
            output.storeBytes(
                of: UInt32(truncatingIfNeeded: bytes.count).bigEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
            self.bytes(bytes)
        }

        mutating func optionalString(_ bytes: UnsafeRawBufferPointer?) {
            guard let bytes else {
                byte(0)
                return
            }
            byte(1)
            string(bytes)
        }
    }
}
