import CEL

extension PolicyDiff {
    /// The difference as JSON, for scripts: `old` and `new` (`name`, `version`), `same_version`,
    /// `changed` (anything differs, tests included), then one key per section, empty when
    /// nothing in it differs. A setting is `{"key", "old", "new"}` (null where unset); a named
    /// part carries `change` (`added`, `removed`, `changed`); list items are `added`,
    /// `removed` and, when the items both lists hold are in another order, `order` (`{"old": […], "new": […]}`).
    public var jsonValue: Value {
        var map = CELMap()
        map["old"] = Self.json(old)
        map["new"] = Self.json(new)
        map["same_version"] = .bool(sameVersion)
        map["changed"] = .bool(!isEmpty)
        map["pack"] = Self.json(pack)
        map["classes"] = Self.json(classes)
        map["resources"] = .list(
            resources.map { resource in
                var r = CELMap()
                r["name"] = .string(resource.name)
                r["change"] = .string(resource.change.rawValue)
                r["settings"] = Self.json(resource.settings)
                r["operations"] = Self.json(resource.operations)
                r["fields"] = .list(
                    resource.fields.map { field in
                        .map(CELMap([
                            (.string("name"), .string(field.name)), (.string("change"), .string(field.change.rawValue)),
                            (.string("settings"), Self.json(field.settings)),
                        ]))
                    })
                return .map(r)
            })
        map["lists"] = .list(
            lists.map { list in
                guard case .map(var l) = Self.json(list.items) else { return .null }
                l["name"] = .string(list.name)
                l["change"] = .string(list.change.rawValue)
                return .map(l)
            })
        map["business_hours"] = Self.json(businessHours)
        map["tiers"] = .list(
            tiers.map { tier in
                .map(CELMap([(.string("tier"), .string(tier.tier)), (.string("settings"), Self.json(tier.settings))]))
            })
        map["defaults"] = Self.json(defaults)
        map["rules"] = .list(
            rules.map { rule in
                .map(CELMap([
                    (.string("id"), .string(rule.id)), (.string("change"), .string(rule.change.rawValue)),
                    (.string("settings"), Self.json(rule.settings)),
                ]))
            })
        map["rule_moves"] = .list(
            ruleMoves.map { move in
                .map(CELMap([
                    (.string("id"), .string(move.id)), (.string("old_position"), .int(Int64(move.oldPosition))),
                    (.string("new_position"), .int(Int64(move.newPosition))),
                    (.string("old_after"), move.oldAfter.map(Value.string) ?? .null),
                    (.string("new_after"), move.newAfter.map(Value.string) ?? .null),
                ]))
            })
        map["tests"] = .list(
            tests.map { test in
                .map(CELMap([(.string("name"), .string(test.name)), (.string("change"), .string(test.change.rawValue))]))
            })
        return .map(map)
    }

    private static func json(_ side: Side) -> Value {
        .map(CELMap([(.string("name"), .string(side.name)), (.string("version"), .string(side.version))]))
    }

    private static func json(_ settings: [SettingChange]) -> Value {
        .list(
            settings.map { setting in
                .map(CELMap([
                    (.string("key"), .string(setting.key)), (.string("old"), setting.old ?? .null),
                    (.string("new"), setting.new ?? .null),
                ]))
            })
    }

    private static func json(_ items: ItemChanges) -> Value {
        var map = CELMap()
        map["added"] = .list(items.added)
        map["removed"] = .list(items.removed)
        if let order = items.reordered {
            map["order"] = .map(CELMap([(.string("old"), .list(order.old)), (.string("new"), .list(order.new))]))
        }
        return .map(map)
    }
}
