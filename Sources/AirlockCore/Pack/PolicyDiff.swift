import CEL

/// What changed from one policy pack to another, as a reviewer of a policy change reads it:
/// the pack's settings, classes, resources and their fields, lists, business hours, tiers,
/// defaults, rules (and their order), and the inline tests.
///
/// Computed from the packs' ``PolicyPack/canonicalForm`` (the form their ``PolicyPack/version``
/// hashes), so every difference that changes the version shows, and nothing that does not
/// (comments, layout, key order, the split into files, defaults written out or left implicit,
/// whitespace in conditions). The inline tests are not part of the version; they are compared
/// apart, in ``tests``. Pure: no I/O.
public struct PolicyDiff: Sendable {
    /// A pack's name and version.
    public struct Side: Sendable, Hashable {
        /// The pack's name (`policy`).
        public var name: String
        /// The pack's version (its content hash).
        public var version: String
    }

    /// How a named part (a rule, resource, field, list or test) differs.
    public enum Change: String, Sendable, Hashable {
        /// Only in the new pack.
        case added
        /// Only in the old pack.
        case removed
        /// In both, with different content.
        case changed
    }

    /// One setting that differs, with its value in each pack as the pack writes it (durations as
    /// `4h`, times of day as `08:00`); `nil` where the pack does not set it.
    public struct SettingChange: Sendable {
        /// The key, as in the YAML (`sla`, `when`, `from_score`).
        public var key: String
        /// The old value, or `nil` when unset.
        public var old: Value?
        /// The new value, or `nil` when unset.
        public var new: Value?
    }

    /// How the items of a list differ: counted as a multiset, so a repeated item counts each
    /// time.
    public struct ItemChanges: Sendable {
        /// Items only the new list holds.
        public var added: [Value] = []
        /// Items only the old list holds.
        public var removed: [Value] = []
        /// Both lists whole, when the items they share are in another order (the order of
        /// `classes` is their rank).
        public var reordered: (old: [Value], new: [Value])?

        /// Whether the lists hold the same items in the same order.
        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && reordered == nil }
    }

    /// A resource added, removed or changed. An added (removed) resource lists all its settings
    /// and fields as added (removed).
    public struct ResourceChange: Sendable {
        /// The resource's name.
        public var name: String
        /// Added, removed or changed.
        public var change: Change
        /// Its settings that differ (`description`, `reversible`, `amount_field`).
        public var settings: [SettingChange]
        /// The operations allowed, added and removed.
        public var operations: ItemChanges
        /// Its fields that differ.
        public var fields: [FieldChange]
    }

    /// A field of a resource added, removed or changed.
    public struct FieldChange: Sendable {
        /// The field's name.
        public var name: String
        /// Added, removed or changed.
        public var change: Change
        /// Its keys that differ (`type`, `required`, `min`, `class`, `track_new`, …).
        public var settings: [SettingChange]
    }

    /// A named list added, removed or changed.
    public struct ListChange: Sendable {
        /// The list's name (`lists.NAME`).
        public var name: String
        /// Added, removed or changed.
        public var change: Change
        /// Its items added and removed (all of them when the list is added or removed).
        public var items: ItemChanges
    }

    /// The settings of one tier that differ (`medium`, `high`, or `block` with its `from_score`).
    public struct TierChange: Sendable {
        /// The tier's name.
        public var tier: String
        public var settings: [SettingChange]
    }

    /// A rule added, removed or changed. An added (removed) rule lists all its settings as
    /// added (removed).
    public struct RuleChange: Sendable {
        /// The rule's id.
        public var id: String
        /// Added, removed or changed.
        public var change: Change
        /// Its settings that differ (`when`, `tier`, `score`, `approvals`, `sla`, `reason`, …).
        public var settings: [SettingChange]
    }

    /// A rule kept by both packs whose place in the order changed (the order of a decision's
    /// reasons). Rules added or removed around it do not count as moving it.
    public struct RuleMove: Sendable, Hashable {
        /// The rule's id.
        public var id: String
        /// Its position among the old pack's rules, from 1.
        public var oldPosition: Int
        /// Its position among the new pack's rules, from 1.
        public var newPosition: Int
        /// The rule it follows in the old pack and in the new one (`nil`: it is the first): what
        /// the move is when removals and additions elsewhere leave its position the same.
        public var oldAfter: String? = nil
        public var newAfter: String? = nil
    }

    /// An inline test added, removed or changed, by name (the k-th test of a name is compared
    /// with the k-th of that name in the other pack).
    public struct TestChange: Sendable, Hashable {
        /// The test's name.
        public var name: String
        /// Added, removed or changed.
        public var change: Change
    }

    /// The old pack's name and version.
    public var old: Side
    /// The new pack's name and version.
    public var new: Side
    /// The pack's own settings: `policy` and `description`.
    public var pack: [SettingChange] = []
    /// The data classes (least sensitive first: their order is their rank).
    public var classes = ItemChanges()
    /// The resources that differ, in declaration order (the new pack's; removed ones after
    /// their old neighbour).
    public var resources: [ResourceChange] = []
    /// The lists that differ.
    public var lists: [ListChange] = []
    /// `business_hours` keys that differ (all of them when one pack has none).
    public var businessHours: [SettingChange] = []
    /// The tiers whose settings differ, medium, high, block.
    public var tiers: [TierChange] = []
    /// `defaults` keys that differ.
    public var defaults: [SettingChange] = []
    /// The rules that differ, in pack order (the new pack's; removed ones after their old
    /// neighbour).
    public var rules: [RuleChange] = []
    /// The rules kept by both packs that moved.
    public var ruleMoves: [RuleMove] = []
    /// The inline tests that differ (not part of the version).
    public var tests: [TestChange] = []

    /// Whether the packs have the same version: they decide every mutation alike.
    public var sameVersion: Bool { old.version == new.version }

    /// Whether nothing differs, tests included.
    public var isEmpty: Bool {
        pack.isEmpty && classes.isEmpty && resources.isEmpty && lists.isEmpty && businessHours.isEmpty
            && tiers.isEmpty && defaults.isEmpty && rules.isEmpty && ruleMoves.isEmpty && tests.isEmpty
    }

    /// The difference from `old` to `new`.
    public init(from old: PolicyPack, to new: PolicyPack) {
        self.old = Side(name: old.name, version: old.version)
        self.new = Side(name: new.name, version: new.version)
        let a = CanonicalMap(old.canonicalForm)
        let b = CanonicalMap(new.canonicalForm)
        // `policy`, `description`, and any top-level setting without a section of its own.
        let sections: Set = ["classes", "resources", "lists", "business_hours", "tiers", "defaults", "rules"]
        pack = Self.settings(a.removing(sections), b.removing(sections))
        classes = Self.items(Self.list(a["classes"]), Self.list(b["classes"]))
        resources = Self.resources(CanonicalMap(a["resources"]), CanonicalMap(b["resources"]))
        lists = Self.lists(CanonicalMap(a["lists"]), CanonicalMap(b["lists"]))
        businessHours = Self.settings(
            CanonicalMap(a["business_hours"]), CanonicalMap(b["business_hours"]), display: Self.businessHoursForm)
        tiers = Self.tiers(CanonicalMap(a["tiers"]), CanonicalMap(b["tiers"]))
        defaults = Self.settings(CanonicalMap(a["defaults"]), CanonicalMap(b["defaults"]))
        (rules, ruleMoves) = Self.rules(Self.list(a["rules"]), Self.list(b["rules"]))
        tests = Self.tests(old.tests, new.tests)
    }
}
