/// Hexadecimal text for bytes: the one codec of the package, for hashes, keys and signatures.
///
/// ```swift
/// Hex.encode([0xc0, 0xff, 0xee])  // "c0ffee"
/// Hex.decode("C0FFEE")            // [0xc0, 0xff, 0xee]
/// ```
public enum Hex {
    private static let alphabet = Array("0123456789abcdef".utf8)

    /// Two lowercase hexadecimal digits per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        bytes.withContiguousStorageIfAvailable { digits(of: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { digits(of: $0) }
    }

    private static func digits(of bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[2 * index] = alphabet[Int(byte >> 4)]
                buffer[2 * index + 1] = alphabet[Int(byte & 0x0f)]
            }
            return bytes.count * 2
        }
    }

    /// The bytes of hexadecimal text (digits in either case, two per byte); `nil` for an odd
    /// number of digits or any other character.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(of: utf8[index]), let low = value(of: utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
