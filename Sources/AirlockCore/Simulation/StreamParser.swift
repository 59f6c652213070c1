import CEL

/// Reads a simulation stream (JSON Lines, UTF-8) into ``StreamRecord``s, from text given in
/// chunks of any size: a line split between two chunks is read once its end arrives.
///
/// Lines end with `\n` (a `\r` before it is ignored); blank lines are skipped but counted, so
/// line numbers are those an editor shows. An actor given on many lines is built once and reused
/// while its JSON stays the same. No I/O: the caller reads the file.
///
/// ```swift
/// var parser = StreamParser()
/// var records: [StreamRecord] = []
/// try parser.parse(chunk, into: &records)   // as often as there are chunks
/// try parser.finish(into: &records)          // the last line, if it has no newline
/// ```
public struct StreamParser: Sendable {
    /// The start of a line whose end has not arrived yet.
    private var pending: [UInt8] = []
    /// Lines read so far (complete ones, blank ones included).
    public private(set) var linesRead = 0
    /// The actors seen, by id, with the JSON they were read from.
    private var actors: [String: (document: Value, actor: Actor)] = [:]
    /// The actors seen by the fast path, by their JSON text.
    var actorTexts = JSONSkim.Memo<Actor>()

    public init() {}

    /// Reads every complete line of `chunk` (after what earlier chunks left unfinished) and
    /// appends their records to `records`.
    ///
    /// - Throws: ``StreamError`` for the first bad line; the records before it are appended.
    public mutating func parse(_ chunk: UnsafeRawBufferPointer, into records: inout [StreamRecord]) throws(StreamError) {
        let bytes = chunk.bindMemory(to: UInt8.self)
        var start = 0
        while let end = bytes[start...].firstIndex(of: 0x0A) {
            if pending.isEmpty {
                try line(UnsafeBufferPointer(rebasing: bytes[start..<end]), into: &records)
            } else {
                pending.append(contentsOf: bytes[start..<end])
                let whole = pending
                pending.removeAll(keepingCapacity: true)
                try whole.withUnsafeBufferPointer { buffer throws(StreamError) in try line(buffer, into: &records) }
            }
            start = end + 1
        }
        pending.append(contentsOf: bytes[start...])
    }

    /// Reads the last line when the text does not end with a newline.
    public mutating func finish(into records: inout [StreamRecord]) throws(StreamError) {
        guard !pending.isEmpty else { return }
        let whole = pending
        pending = []
        try whole.withUnsafeBufferPointer { buffer throws(StreamError) in try line(buffer, into: &records) }
    }

    /// Every record of a whole stream's text.
    public static func records(in text: String) throws(StreamError) -> [StreamRecord] {
        var parser = StreamParser()
        var records: [StreamRecord] = []
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(StreamError) in try parser.parse(UnsafeRawBufferPointer(bytes), into: &records) }
        }
        try result.get()
        try parser.finish(into: &records)
        return records
    }

    private mutating func line(_ raw: UnsafeBufferPointer<UInt8>, into records: inout [StreamRecord]) throws(StreamError) {
        linesRead += 1
        var bytes = raw
        if let last = bytes.last, last == 0x0D { bytes = UnsafeBufferPointer(rebasing: bytes.dropLast()) }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        if let record = fastRecord(bytes, line: linesRead) {
            records.append(record)
            return
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw StreamError(line: linesRead, field: "", message: "is not valid UTF-8")
        }
        let value: Value
        do throws(JSONError) {
            value = try Value(json: text)
        } catch {
            throw StreamError(line: linesRead, field: "", message: "not JSON: column \(error.column): \(error.message)")
        }
        let number = linesRead
        records.append(
            try StreamRecord.read(value, line: number) { document throws(StreamError) in
                try actor(document, line: number)
            })
    }

    /// The actor of a line: the one built before when its JSON is the same.
    private mutating func actor(_ document: Value, line: Int) throws(StreamError) -> Actor {
        if case .map(let map) = document, case .string(let id)? = map.value(forField: "id"), let known = actors[id],
            Self.same(known.document, document)
        {
            return known.actor
        }
        let actor = try StreamRecord.actor(document, line: line)
        actors[actor.id] = (document, actor)
        return actor
    }

    /// Whether two JSON values are the same (numbers of different kinds differ).
    static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.uint(x), .uint(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.list(x), .list(y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case let (.map(x), .map(y)):
            guard x.count == y.count else { return false }
            let left = x.entries
            let right = y.entries
            return zip(left, right).allSatisfy { $0.key == $1.key && same($0.value, $1.value) }
        default: return false
        }
    }
}
