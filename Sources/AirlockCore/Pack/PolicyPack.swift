import CEL
import Yams

/// A loaded, checked policy pack: data classes, resource schemas, rules with compiled conditions,
/// named lists, tier thresholds, business hours and inline tests.
///
/// Load one with ``load(files:)``; every condition is compiled and type-checked once, here. A pack
/// that does not load is never used.
public struct PolicyPack: Sendable {
    /// The pack's name (`policy`).
    public let name: String
    /// What the pack is for.
    public let description: String?
    /// The data classes, least sensitive first.
    public let classes: [String]
    /// The resources, by name.
    public let resources: [String: ResourceSchema]
    /// The resource names in declaration order.
    public let resourceOrder: [String]
    /// The rules, in pack order (files in the order given, then rule order).
    public let rules: [Rule]
    /// The named lists (`lists.NAME` in conditions), in declaration order.
    public let lists: [(name: String, values: Value)]
    /// Tier thresholds and reviewer settings.
    public let tiers: TierPolicy
    /// The default tier and the tier of a failing rule.
    public let defaults: PackDefaults
    /// The business hours behind `signals.off_hours`, if declared.
    public let businessHours: BusinessHours?
    /// The inline tests.
    public let tests: [PackTest]
    /// The content hash of the pack: SHA-256 (hex) of its canonical JSON form (see
    /// ``canonicalForm``). The same content gives the same version whatever its YAML formatting.
    public internal(set) var version: String
    /// Every reviewer pool the pack names, with where.
    public let pools: [PoolReference]

    let classRank: [String: Int]
    /// The decision path's view of each resource.
    let compiled: NameTable<CompiledResource>
    /// `lists` as a CEL value, built once.
    let listsValue: Value
    /// `classes` (name → rank) as a CEL value, built once.
    let classesValue: Value

    /// Loads a pack from YAML files given as `(name, text)` pairs (the CLI reads a directory's
    /// `.yaml`/`.yml` files, sorted by name). Sections may be spread over files: resources, lists,
    /// rules and tests are merged (rules and tests in file order); the others may appear once.
    public static func load(files: [(name: String, text: String)]) throws(PolicyError) -> PolicyPack {
        try PackLoader().load(files)
    }

    /// Loads a pack from one YAML text.
    public static func load(name: String, text: String) throws(PolicyError) -> PolicyPack {
        try load(files: [(name, text)])
    }

    /// Reads tests from a separate YAML file (a list of tests, or a mapping with a `tests` key),
    /// checked against this pack's resources and rules.
    public func loadTests(name fileName: String, text: String) throws(PolicyError) -> [PackTest] {
        let loader = PackLoader()
        loader.resources = resources
        loader.resourceOrder = resourceOrder
        loader.classes = classes
        loader.classRank = classRank
        for rule in rules { loader.ruleLocations[rule.id] = rule.location }
        let file = PackFile(name: fileName, text: text)
        do {
            if let root = try Yams.compose(yaml: text) {
                var at = Located(node: root, file: file)
                if case .mapping = root {
                    if let entries = loader.entries(at, of: "a tests file", allowed: ["tests"]),
                        let tests = loader.require("tests", in: entries, of: "a tests file")
                    {
                        at = tests
                    } else {
                        throw PolicyError(problems: loader.sortedProblems())
                    }
                }
                loader.readTests(at)
            }
        } catch let error as PolicyError {
            throw error
        } catch {
            throw PolicyError(problems: [YAMLValue.yamlProblem(error, file: fileName, text: text)])
        }
        guard loader.problems.isEmpty else { throw PolicyError(problems: loader.sortedProblems()) }
        return loader.tests
    }

    /// The rank of a data class (0 for the least sensitive); `nil` if undeclared.
    public func rank(ofClass name: String) -> Int? { classRank[name] }

    /// The rule with an id.
    public func rule(id: String) -> Rule? { rules.first { $0.id == id } }
}
