import CEL

/// The common line read without building a JSON value of the whole line: its keys are found by
/// skimming the bytes, `time` and `label` are read in place, an actor whose JSON text was seen
/// before is reused without being parsed again, and only the mutation becomes a ``Value``.
///
/// It accepts a subset of what the general path accepts and gives the same record: anything
/// unusual (an escape in a key or in the time, an unknown or repeated key, a missing one, a
/// malformed value, deep nesting) returns `nil`, and the general path reads the line and reports
/// its problem.
extension StreamParser {
    private enum Key: UInt8 {
        case time = 1, actor = 2, mutation = 4, label = 8, id = 16
    }

    /// The record of a line, or `nil` when the general path must read it.
    mutating func fastRecord(_ b: UnsafeBufferPointer<UInt8>, line: Int) -> StreamRecord? {
        var seen: UInt8 = 0
        var time: Timestamp?
        var actor: Actor?
        var mutation: Range<Int>?
        var label: StreamRecord.Label?
        var id: String?
        let whole = JSONSkim.forEachMember(b, 0..<b.count) { keyRange, value in
            guard let key = Self.key(b, keyRange), seen & key.rawValue == 0 else { return false }
            seen |= key.rawValue
            switch key {
            case .time:
                time = JSONSkim.time(b, value)
                return time != nil
            case .actor:
                actor = knownActor(b, value, line: line)
                return actor != nil
            case .mutation:
                mutation = value
            case .label:
                guard let read = Self.label(b, value) else { return false }
                label = read
            case .id:
                id = JSONSkim.plainString(b, value)
                return id != nil
            }
            return true
        }
        guard whole else { return nil }
        guard let time, let actor, let mutation,
            let text = String(validating: UnsafeBufferPointer(rebasing: b[mutation]), as: UTF8.self),
            let document = try? Value(json: text), case .map(let fields) = document
        else { return nil }
        let result: Result<Mutation, ValidationFailure>
        var resource = ""
        if let plain = Self.plainMutation(fields) {
            result = .success(plain)
            resource = plain.resource
        } else {
            let read = Mutation.read(jsonValue: document)
            if case .string(let name)? = fields.value(forField: "resource") { resource = name }
            if let parsed = read.mutation, read.issues.isEmpty {
                result = .success(parsed)
            } else {
                result = .failure(ValidationFailure(issues: read.issues))
            }
        }
        return StreamRecord(
            line: line, id: id, time: time, actor: actor, mutation: result, resource: resource, label: label)
    }

    /// The mutation of a well-formed document, as `Mutation.read` reads it; `nil` for anything
    /// else (`Mutation.read` then says what is wrong).
    static func plainMutation(_ fields: CELMap) -> Mutation? {
        var resource: String?
        var operation: Mutation.Operation?
        var target: String?
        var targets: [String]?
        var changes = CELMap()
        var before: CELMap?
        var context: CELMap?
        var key: String?
        var plain = true
        fields.forEachInPlace { name, value in
            guard plain, case .string(let name) = name.pointee else {
                plain = false
                return
            }
            let value = value.pointee
            if case .null = value { return }
            switch (name, value) {
            case ("resource", .string(let text)): resource = text
            case ("operation", .string(let text)):
                operation = Mutation.Operation(rawValue: text)
                plain = operation != nil
            case ("target", .string(let text)): target = text
            case ("targets", .list(let items)):
                var ids: [String] = []
                ids.reserveCapacity(items.count)
                for item in items {
                    guard case .string(let id) = item else {
                        plain = false
                        return
                    }
                    ids.append(id)
                }
                targets = ids
            case ("changes", .map(let map)): changes = map
            case ("before", .map(let map)): before = map
            case ("context", .map(let map)): context = map
            case ("idempotency_key", .string(let text)): key = text
            default: plain = false
            }
        }
        guard plain, let resource, let operation else { return nil }
        return Mutation(
            resource: resource, operation: operation, target: target, targets: targets, changes: changes, before: before,
            context: context, idempotencyKey: key)
    }

    /// The actor of a JSON text seen before, or the one it makes now (`nil`: not an actor; the
    /// general path says why).
    private mutating func knownActor(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Int) -> Actor? {
        actorTexts.value(b, range) { value in try? StreamRecord.actor(value, line: line) }
    }

    private static func key(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Key? {
        switch range.count {
        case 4 where b[range.lowerBound] == UInt8(ascii: "t"): return JSONSkim.matches(b, range, "time") ? .time : nil
        case 5 where b[range.lowerBound] == UInt8(ascii: "a"): return JSONSkim.matches(b, range, "actor") ? .actor : nil
        case 5 where b[range.lowerBound] == UInt8(ascii: "l"): return JSONSkim.matches(b, range, "label") ? .label : nil
        case 8: return JSONSkim.matches(b, range, "mutation") ? .mutation : nil
        case 2: return JSONSkim.matches(b, range, "id") ? .id : nil
        default: return nil
        }
    }

    private static func label(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> StreamRecord.Label?? {
        if JSONSkim.matches(b, range, "null") { return .some(nil) }
        if JSONSkim.matches(b, range, "\"bad\"") { return .bad }
        if JSONSkim.matches(b, range, "\"benign\"") { return .benign }
        return nil
    }

}
