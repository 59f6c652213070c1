import CEL

/// The comparisons behind ``PolicyDiff``: of settings, lists, named parts and rules, over the
/// packs' canonical forms. Two values are the same when their canonical JSON is (as for the
/// version: `1` and `1.0` differ).
extension PolicyDiff {
    /// A map of a canonical form: its string keys and values, in order.
    struct CanonicalMap {
        var entries: [(key: String, value: Value)]

        /// The entries of `value` when it is a map; none otherwise (an absent section).
        init(_ value: Value?) {
            guard case .map(let map)? = value else {
                entries = []
                return
            }
            entries = map.entries.compactMap { entry in
                guard case .string(let key) = entry.key else { return nil }
                return (key, entry.value)
            }
        }

        private init(entries: [(key: String, value: Value)]) { self.entries = entries }

        subscript(key: String) -> Value? { entries.first { $0.key == key }?.value }

        var keys: [String] { entries.map(\.key) }

        /// The map without `keys` (compared apart).
        func removing(_ keys: Set<String>) -> CanonicalMap {
            CanonicalMap(entries: entries.filter { !keys.contains($0.key) })
        }
    }

    /// The items of a canonical list; none for anything else.
    static func list(_ value: Value?) -> [Value] {
        if case .list(let items)? = value { return items }
        return []
    }

    static func same(_ a: Value?, _ b: Value?) -> Bool {
        a.map(CanonicalJSON.encode) == b.map(CanonicalJSON.encode)
    }

    /// The keys of two maps that differ, in the order the packs write them. `display` turns a
    /// canonical value into the form a pack writes (durations, times of day).
    static func settings(
        _ old: CanonicalMap, _ new: CanonicalMap, display: (String, Value) -> Value = { $1 }
    ) -> [SettingChange] {
        merged(old.keys, new.keys).compactMap { key in
            let (a, b) = (old[key], new[key])
            guard !same(a, b) else { return nil }
            return SettingChange(key: key, old: a.map { display(key, $0) }, new: b.map { display(key, $0) })
        }
    }

    /// The items added and removed (as multisets), and both lists when the items they share
    /// are in another order.
    static func items(_ old: [Value], _ new: [Value]) -> ItemChanges {
        let oldKeys = old.map(CanonicalJSON.encode)
        let newKeys = new.map(CanonicalJSON.encode)
        func kept(_ items: [Value], _ keys: [String], against others: [String]) -> (kept: [String], dropped: [Value]) {
            var available = Dictionary(others.map { ($0, 1) }, uniquingKeysWith: +)
            var kept: [String] = []
            var dropped: [Value] = []
            for (key, item) in zip(keys, items) {
                if let count = available[key], count > 0 {
                    available[key] = count - 1
                    kept.append(key)
                } else {
                    dropped.append(item)
                }
            }
            return (kept, dropped)
        }
        let (oldKept, removed) = kept(old, oldKeys, against: newKeys)
        let (newKept, added) = kept(new, newKeys, against: oldKeys)
        return ItemChanges(added: added, removed: removed, reordered: oldKept == newKept ? nil : (old, new))
    }

    /// The named parts (resources, fields, lists) of two maps that differ: `make` builds the
    /// change of one (the old or new value `nil` when added or removed), or `nil` when it
    /// finds nothing to show.
    static func named<T>(
        _ old: CanonicalMap, _ new: CanonicalMap, _ make: (String, Value?, Value?, Change) -> T?
    ) -> [T] {
        merged(old.keys, new.keys).compactMap { name in
            switch (old[name], new[name]) {
            case (nil, let b?): make(name, nil, b, .added)
            case (let a?, nil): make(name, a, nil, .removed)
            case (let a?, let b?) where !same(a, b): make(name, a, b, .changed)
            default: nil
            }
        }
    }

    /// `new`, with the names only `old` has inserted after their nearest old predecessor that
    /// `new` keeps (at the start when none).
    static func merged(_ old: [String], _ new: [String]) -> [String] {
        var result = new
        var present = Set(new)
        for (index, name) in old.enumerated() where !present.contains(name) {
            let anchor = old[..<index].last { present.contains($0) }
            let position = anchor.flatMap { result.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
            result.insert(name, at: position)
            present.insert(name)
        }
        return result
    }

    // MARK: Sections

    static func resources(_ old: CanonicalMap, _ new: CanonicalMap) -> [ResourceChange] {
        named(old, new) { name, a, b, change in
            let (a, b) = (CanonicalMap(a), CanonicalMap(b))
            let compartments: Set = ["operations", "fields"]
            return ResourceChange(
                name: name, change: change, settings: settings(a.removing(compartments), b.removing(compartments)),
                operations: items(list(a["operations"]), list(b["operations"])),
                fields: named(CanonicalMap(a["fields"]), CanonicalMap(b["fields"])) { field, x, y, change in
                    FieldChange(name: field, change: change, settings: settings(CanonicalMap(x), CanonicalMap(y)))
                })
        }
    }

    static func lists(_ old: CanonicalMap, _ new: CanonicalMap) -> [ListChange] {
        named(old, new) { name, a, b, change in
            ListChange(name: name, change: change, items: items(list(a), list(b)))
        }
    }

    /// `medium` and `high` compared key by key; `block`, a bare threshold, as its `from_score`.
    static func tiers(_ old: CanonicalMap, _ new: CanonicalMap) -> [TierChange] {
        merged(old.keys, new.keys).compactMap { tier in
            let (a, b) = (old[tier], new[tier])
            guard !same(a, b) else { return nil }
            let isMap = { (value: Value?) in if case .map? = value { true } else { false } }
            let changes =
                isMap(a) || isMap(b)
                ? settings(CanonicalMap(a), CanonicalMap(b), display: durationForm)
                : [SettingChange(key: "from_score", old: a, new: b)]
            return TierChange(tier: tier, settings: changes)
        }
    }

    /// The rules by id, in the new pack's order (removed ones after their old predecessor), and
    /// the moves of the rules both keep.
    static func rules(_ old: [Value], _ new: [Value]) -> (changes: [RuleChange], moves: [RuleMove]) {
        func byID(_ rules: [Value]) -> (ids: [String], maps: [String: CanonicalMap]) {
            var ids: [String] = []
            var maps: [String: CanonicalMap] = [:]
            for rule in rules {
                let map = CanonicalMap(rule)
                guard case .string(let id)? = map["id"] else { continue }
                ids.append(id)
                maps[id] = map.removing(["id"])
            }
            return (ids, maps)
        }
        let (oldIDs, oldRules) = byID(old)
        let (newIDs, newRules) = byID(new)
        let changes = merged(oldIDs, newIDs).compactMap { id -> RuleChange? in
            switch (oldRules[id], newRules[id]) {
            case (nil, let b?):
                return RuleChange(id: id, change: .added, settings: settings(CanonicalMap(nil), b, display: durationForm))
            case (let a?, nil):
                return RuleChange(id: id, change: .removed, settings: settings(a, CanonicalMap(nil), display: durationForm))
            case (let a?, let b?):
                let differences = settings(a, b, display: durationForm)
                return differences.isEmpty ? nil : RuleChange(id: id, change: .changed, settings: differences)
            default:
                return nil
            }
        }
        let keptOld = oldIDs.filter { newRules[$0] != nil }
        let keptNew = newIDs.filter { oldRules[$0] != nil }
        // The kept rules outside a longest common subsequence of both orders are the ones moved.
        var moved = Set<String>()
        for step in keptNew.difference(from: keptOld) {
            if case .insert(_, let id, _) = step { moved.insert(id) }
        }
        let moves = newIDs.enumerated().compactMap { newIndex, id -> RuleMove? in
            guard moved.contains(id), let oldIndex = oldIDs.firstIndex(of: id) else { return nil }
            return RuleMove(
                id: id, oldPosition: oldIndex + 1, newPosition: newIndex + 1, oldAfter: oldIndex > 0 ? oldIDs[oldIndex - 1] : nil,
                newAfter: newIndex > 0 ? newIDs[newIndex - 1] : nil)
        }
        return (changes, moves)
    }

    /// Tests compared by name and occurrence: the k-th test named N with the k-th named N.
    static func tests(_ old: [PackTest], _ new: [PackTest]) -> [TestChange] {
        func keyed(_ tests: [PackTest]) -> (keys: [String], names: [String: String], contents: [String: String]) {
            var seen: [String: Int] = [:]
            var keys: [String] = []
            var names: [String: String] = [:]
            var contents: [String: String] = [:]
            for test in tests {
                let occurrence = seen[test.name, default: 0]
                seen[test.name] = occurrence + 1
                let key = "\(occurrence)\u{0}\(test.name)"
                keys.append(key)
                names[key] = test.name
                contents[key] = CanonicalJSON.encode(test.comparableForm)
            }
            return (keys, names, contents)
        }
        let a = keyed(old)
        let b = keyed(new)
        return merged(a.keys, b.keys).compactMap { key in
            let name = b.names[key] ?? a.names[key] ?? key
            switch (a.contents[key], b.contents[key]) {
            case (nil, _?): return TestChange(name: name, change: .added)
            case (_?, nil): return TestChange(name: name, change: .removed)
            case (let x?, let y?) where x != y: return TestChange(name: name, change: .changed)
            default: return nil
            }
        }
    }

    // MARK: How a pack writes values

    /// `sla` as a duration (`4h`, `1h30m`) rather than seconds.
    static func durationForm(_ key: String, _ value: Value) -> Value {
        guard key == "sla", case .int(let seconds) = value else { return value }
        return .string(DurationText.text(Int(seconds)))
    }

    /// `from` and `to` as times of day (`08:00`), `utc_offset` as `+01:00` or `Z`.
    static func businessHoursForm(_ key: String, _ value: Value) -> Value {
        guard case .int(let number) = value else { return value }
        func twoDigits(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        switch key {
        case "from", "to":
            return .string("\(twoDigits(number / 60)):\(twoDigits(number % 60))")
        case "utc_offset":
            guard number != 0 else { return .string("Z") }
            let minutes = abs(number) / 60
            return .string("\(number < 0 ? "-" : "+")\(twoDigits(minutes / 60)):\(twoDigits(minutes % 60))")
        default:
            return value
        }
    }
}

extension PackTest {
    /// Everything a test sets, as one value to compare (not its location).
    var comparableForm: Value {
        var map = CELMap()
        map["actor"] = actor.jsonValue
        map["mutation"] = mutation
        map["signals"] = signals.jsonValue
        map["sets_off_hours"] = .bool(setsOffHours)
        map["system"] = system.jsonValue
        map["now"] = .timestamp(now)
        var e = CELMap()
        if let tier = expect.tier { e["tier"] = .string(tier.rawValue) }
        if let score = expect.score { e["score"] = .int(Int64(score)) }
        if let rules = expect.rules { e["rules"] = .list(rules.sorted().map(Value.string)) }
        if let approvals = expect.approvals {
            e["approvals"] = .list(approvals.map(\.description).sorted().map(Value.string))
        }
        if let maxClass = expect.maxClass { e["max_class"] = .string(maxClass) }
        e["valid"] = .bool(expect.valid)
        e["issues"] = .list(expect.issues.map(Value.string))
        map["expect"] = .map(e)
        return .map(map)
    }
}
