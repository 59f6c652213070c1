import CEL

/// The common line read without building a JSON value of the whole line: its keys are found by
/// skimming the bytes, `time` and `label` are read in place, an actor whose JSON text was seen
/// before is reused without being parsed again, and the mutation's members are skimmed too: only
/// its `changes`, `before` and `context` become ``Value``s.
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
        guard let time, let actor, let mutation else { return nil }
        let result: Result<Mutation, ValidationFailure>
        var resource = ""
        if let plain = Self.plainMutation(b, mutation, enclosedBy: 1) {
            result = .success(plain)
            resource = plain.resource
        } else {
            guard let document = JSONSkim.value(b, mutation), case .map(let fields) = document else { return nil }
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

    /// The mutation of a well-formed document spanning `range`, as `Mutation.read` reads it,
    /// without a JSON value of the whole document: its members are skimmed, the names read in
    /// place, and only `changes`, `before` and `context` parsed into values. `nil` for anything
    /// else (an unknown or repeated key, an escape, a value of another type, an unknown
    /// operation): `Mutation.read` then reads it or says what is wrong.
    ///
    /// `enclosing` is how many arrays and objects of the text hold the document (a stream line:
    /// 1), for the nesting bound the general path applies to the whole text.
    static func plainMutation(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, enclosedBy enclosing: Int = 0) -> Mutation? {
        var seen: UInt8 = 0
        var resource: String?
        var operation: Mutation.Operation?
        var target: String?
        var targets: [String]?
        var changes = CELMap()
        var before: CELMap?
        var context: CELMap?
        var key: String?
        // Walked once: `changes`, `before` and `context` are parsed where they lie.
        let end = JSONSkim.walkObject(b, JSONSkim.skipSpace(b, range.lowerBound), within: range.upperBound) { name, start in
            guard let member = MutationKey.named(b, name), seen & member.rawValue == 0 else { return nil }
            seen |= member.rawValue
            if start < range.upperBound, b[start] == UInt8(ascii: "n") {
                guard let end = JSONSkim.skipValue(b, start), JSONSkim.matches(b, start..<end, "null") else { return nil }
                return end
            }
            switch member {
            case .changes, .before, .context:
                guard let (read, end) = JSONSkim.value(b, from: start, enclosedBy: enclosing + 1), end <= range.upperBound,
                    case .map(let map) = read
                else {
                    return nil
                }
                switch member {
                case .changes: changes = map
                case .before: before = map
                default: context = map
                }
                return end
            default:
                break
            }
            guard let end = JSONSkim.skipValue(b, start) else { return nil }
            let value = start..<end
            switch member {
            case .resource:
                resource = JSONSkim.plainString(b, value)
                return resource == nil ? nil : end
            case .operation:
                operation = JSONSkim.plainString(b, value).flatMap(Mutation.Operation.init(rawValue:))
                return operation == nil ? nil : end
            case .target:
                target = JSONSkim.plainString(b, value)
                return target == nil ? nil : end
            case .idempotencyKey:
                key = JSONSkim.plainString(b, value)
                return key == nil ? nil : end
            case .targets:
                var ids: [String] = []
                let plain = JSONSkim.forEachElement(b, value) { item in
                    guard let id = JSONSkim.plainString(b, item) else { return false }
                    ids.append(id)
                    return true
                }
                targets = ids
                return plain ? end : nil
            case .changes, .before, .context:
                return nil
            }
        }
        let whole = end.map { JSONSkim.skipSpace(b, $0) >= range.upperBound } ?? false
        guard whole, let resource, let operation else { return nil }
        return Mutation(
            resource: resource, operation: operation, target: target, targets: targets, changes: changes, before: before,
            context: context, idempotencyKey: key)
    }

    private enum MutationKey: UInt8 {
        case resource = 1, operation = 2, target = 4, targets = 8, changes = 16, before = 32, context = 64
        case idempotencyKey = 128

        static func named(_ b: UnsafeBufferPointer<UInt8>, _ key: Range<Int>) -> MutationKey? {
            switch key.count {
            case 6 where JSONSkim.matches(b, key, "target"): .target
            case 6 where JSONSkim.matches(b, key, "before"): .before
            case 7 where JSONSkim.matches(b, key, "targets"): .targets
            case 7 where JSONSkim.matches(b, key, "changes"): .changes
            case 7 where JSONSkim.matches(b, key, "context"): .context
            case 8 where JSONSkim.matches(b, key, "resource"): .resource
            case 9 where JSONSkim.matches(b, key, "operation"): .operation
            case 15 where JSONSkim.matches(b, key, "idempotency_key"): .idempotencyKey
            default: nil
            }
        }
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
