import CEL

extension PolicyPack {
    /// The pack's canonical form, whose canonical JSON SHA-256 is the ``version``.
    ///
    /// Built from the loaded model, not the YAML text, so comments, key order, quoting, flow or
    /// block style, defaults written out or left implicit, and the split into files do not change
    /// it. Conditions are kept with runs of whitespace outside string literals collapsed to one
    /// space. The inline tests are not part of it: they do not change a decision.
    public var canonicalForm: Value {
        var root = CELMap()
        root["policy"] = .string(name)
        if let description { root["description"] = .string(description) }
        root["classes"] = .list(classes.map(Value.string))
        var resourceMap = CELMap()
        for name in resourceOrder {
            guard let schema = resources[name] else { continue }
            resourceMap[name] = Self.canonical(schema)
        }
        root["resources"] = .map(resourceMap)
        var listMap = CELMap()
        for (name, values) in lists { listMap[name] = values }
        root["lists"] = .map(listMap)
        if let hours = businessHours {
            var h = CELMap()
            h["days"] = .list(hours.days.sorted().map { .string($0.name) })
            h["from"] = .int(Int64(hours.startMinute))
            h["to"] = .int(Int64(hours.endMinute))
            h["utc_offset"] = .int(Int64(hours.utcOffsetSeconds))
            root["business_hours"] = .map(h)
        }
        var t = CELMap()
        t["medium"] = Self.canonical(tiers.medium)
        t["high"] = Self.canonical(tiers.high)
        if let block = tiers.blockFromScore { t["block"] = .int(Int64(block)) }
        root["tiers"] = .map(t)
        var d = CELMap()
        d["tier"] = .string(defaults.tier.rawValue)
        d["on_error"] = .string(defaults.onError.rawValue)
        root["defaults"] = .map(d)
        root["rules"] = .list(rules.map(Self.canonical))
        return .map(root)
    }

    private static func canonical(_ schema: ResourceSchema) -> Value {
        var r = CELMap()
        if let description = schema.description { r["description"] = .string(description) }
        r["operations"] = .list(Mutation.Operation.allCases.filter(schema.operations.contains).map { .string($0.rawValue) })
        r["reversible"] = .bool(schema.reversible)
        if let amount = schema.amountField { r["amount_field"] = .string(amount) }
        var fields = CELMap()
        for field in schema.orderedFields {
            var f = CELMap()
            f["type"] = .string(field.type.rawValue)
            f["required"] = .bool(field.required)
            if let x = field.minimum { f["min"] = .double(x) }
            if let x = field.maximum { f["max"] = .double(x) }
            if let x = field.minLength { f["min_length"] = .int(Int64(x)) }
            if let x = field.maxLength { f["max_length"] = .int(Int64(x)) }
            if let x = field.pattern { f["pattern"] = .string(x) }
            if let x = field.allowed { f["enum"] = .list(x) }
            if let x = field.dataClass { f["class"] = .string(x) }
            f["track_new"] = .bool(field.trackNew)
            if let x = field.description { f["description"] = .string(x) }
            fields[field.name] = .map(f)
        }
        r["fields"] = .map(fields)
        return .map(r)
    }

    private static func canonical(_ settings: TierSettings) -> Value {
        var s = CELMap()
        if let x = settings.fromScore { s["from_score"] = .int(Int64(x)) }
        if let x = settings.pool { s["pool"] = .string(x) }
        s["count"] = .int(Int64(settings.count))
        if let x = settings.slaSeconds { s["sla"] = .int(Int64(x)) }
        if let x = settings.escalateTo { s["escalate_to"] = .string(x) }
        s["on_timeout"] = .string(settings.onTimeout.rawValue)
        return .map(s)
    }

    private static func canonical(_ rule: Rule) -> Value {
        var r = CELMap()
        r["id"] = .string(rule.id)
        if let x = rule.description { r["description"] = .string(x) }
        if let x = rule.resources { r["resource"] = .list(x.map(Value.string)) }
        r["when"] = .string(collapseWhitespace(rule.when))
        if let x = rule.tier { r["tier"] = .string(x.rawValue) }
        if let x = rule.score { r["score"] = .int(Int64(x)) }
        if !rule.approvals.isEmpty {
            r["approvals"] = .list(
                rule.approvals.map { group in
                    var g = CELMap()
                    g["pool"] = .string(group.pool)
                    g["count"] = .int(Int64(group.count))
                    return .map(g)
                })
        }
        if let x = rule.rejectAfter { r["reject_after"] = .int(Int64(x)) }
        if let x = rule.slaSeconds { r["sla"] = .int(Int64(x)) }
        r["reason"] = .string(rule.reason)
        return .map(r)
    }

    /// The CEL text with every run of whitespace outside string literals turned into one space,
    /// `//` comments dropped, and none at either end: the same for any layout of one expression,
    /// different for different ones. String literals are kept as written, triple-quoted ones and
    /// raw ones (where a backslash escapes nothing) included.
    static func collapseWhitespace(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" {
                pendingSpace = !out.isEmpty
                i += 1
                continue
            }
            if c == "/", i + 1 < scalars.count, scalars[i + 1] == "/" {
                while i < scalars.count, scalars[i] != "\n" { i += 1 }
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace {
                out.append(" ")
                pendingSpace = false
            }
            guard c == "\"" || c == "'" else {
                out.append(c)
                i += 1
                continue
            }
            // A string literal: copied up to its closing quote (or three).
            let raw = isRawPrefix(scalars[..<i])
            let triple = i + 2 < scalars.count && scalars[i + 1] == c && scalars[i + 2] == c
            let delimiter = triple ? 3 : 1
            out.append(contentsOf: scalars[i..<(i + delimiter)])
            i += delimiter
            while i < scalars.count {
                if !raw, scalars[i] == "\\", i + 1 < scalars.count {
                    out.append(contentsOf: scalars[i...(i + 1)])
                    i += 2
                    continue
                }
                if scalars[i] == c, !triple || (i + 2 < scalars.count && scalars[i + 1] == c && scalars[i + 2] == c) {
                    out.append(contentsOf: scalars[i..<(i + delimiter)])
                    i += delimiter
                    break
                }
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    /// Whether the text before a quote ends with a raw-string prefix (`r`, `R`, `br`, `BR`, …)
    /// that is not the end of a longer identifier.
    private static func isRawPrefix(_ before: ArraySlice<Unicode.Scalar>) -> Bool {
        let prefix = before.reversed().prefix { $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0) }
        let letters = String(String.UnicodeScalarView(prefix.reversed())).lowercased()
        return letters == "r" || letters == "br"
    }
}
