import CEL
import Yams

/// Reads a pack's YAML files into a checked ``PolicyPack``, collecting every problem with its
/// place instead of stopping at the first.
final class PackLoader {
    /// One top-level section of one file.
    struct Section {
        let key: String
        let keyAt: Located
        let value: Located
    }

    /// The entries of a mapping node, keyed by string.
    struct Entries {
        let at: Located
        var items: [(key: String, keyAt: Located, value: Located)]

        subscript(key: String) -> Located? { items.first { $0.key == key }?.value }
    }

    static let topLevelKeys = [
        "policy", "description", "classes", "resources", "lists", "business_hours", "tiers", "defaults", "rules", "tests",
    ]

    var problems: [PolicyProblem] = []
    var sections: [String: [Section]] = [:]
    var firstFile: PackFile?

    var name = ""
    var description: String?
    var classes: [String] = []
    var classRank: [String: Int] = [:]
    var resources: [String: ResourceSchema] = [:]
    var resourceOrder: [String] = []
    var resourceLocations: [String: PackLocation] = [:]
    var lists: [(name: String, value: Value, type: CELType)] = []
    var listLocations: [String: PackLocation] = [:]
    var businessHours: BusinessHours?
    var tiers = TierPolicy(medium: TierSettings(onTimeout: .unreviewed))
    var tierLocations: [Tier: PackLocation] = [:]
    var defaults = PackDefaults()
    /// Whether the pack sets `defaults.on_error` (otherwise: high when tiers.high has a pool, else
    /// block).
    var explicitOnError = false
    var rules: [Rule] = []
    var ruleLocations: [String: PackLocation] = [:]
    var tests: [PackTest] = []
    var pools: [PoolReference] = []

    // MARK: Problems

    func report(_ message: String, at location: PackLocation, _ code: PolicyProblem.Code) {
        problems.append(PolicyProblem(location: location, message: message, code: code))
    }

    func report(_ message: String, at node: Located, _ code: PolicyProblem.Code) {
        report(message, at: node.location, code)
    }

    // MARK: Loading

    /// Loads the files (in the order given) into a pack.
    func load(_ files: [(name: String, text: String)]) throws(PolicyError) -> PolicyPack {
        readSections(files)
        // Past a YAML syntax error the rest would only add noise.
        if problems.contains(where: { $0.code == .yamlSyntax }) { throw PolicyError(problems: sortedProblems()) }
        readHeader()
        readClasses()
        for section in sections["resources"] ?? [] { readResources(section) }
        for section in sections["lists"] ?? [] { readLists(section) }
        readBusinessHours()
        readDefaults()
        readTiers()
        let environment = PolicyEnvironment(
            classes: classes, listTypes: lists.map { ($0.name, $0.type) }, resources: resources,
            resourceOrder: resourceOrder)
        for section in sections["rules"] ?? [] { readRules(section, environment: environment) }
        if !explicitOnError, tiers.high.pool == nil { defaults.onError = .block }
        checkPools()
        for section in sections["tests"] ?? [] { readTests(section.value) }
        guard problems.isEmpty else { throw PolicyError(problems: sortedProblems()) }
        return makePack()
    }

    func sortedProblems() -> [PolicyProblem] {
        // Stable: problems at the same place keep the order they were found in.
        problems.enumerated().sorted { a, b in
            a.element.location == b.element.location ? a.offset < b.offset : a.element.location < b.element.location
        }.map(\.element)
    }

    private func readSections(_ files: [(name: String, text: String)]) {
        if files.isEmpty {
            report("a policy pack needs at least one YAML file", at: PackLocation(file: "<pack>", line: 1, column: 1), .missingKey)
        }
        for (name, text) in files {
            let file = PackFile(name: name, text: text)
            if firstFile == nil { firstFile = file }
            let root: Node?
            do {
                root = try Yams.compose(yaml: text)
            } catch {
                problems.append(YAMLValue.yamlProblem(error, file: name, text: text))
                continue
            }
            guard let root else { continue }
            let at = Located(node: root, file: file)
            guard let entries = entries(at, of: "a pack file", allowed: Self.topLevelKeys) else { continue }
            for item in entries.items {
                sections[item.key, default: []].append(Section(key: item.key, keyAt: item.keyAt, value: item.value))
            }
        }
    }

    /// The single occurrence of a section that may appear in only one file.
    func single(_ key: String) -> Section? {
        guard let found = sections[key], let first = found.first else { return nil }
        for extra in found.dropFirst() {
            report(
                "section '\(key)' is already declared at \(first.keyAt.location)", at: extra.keyAt, .duplicateSection)
        }
        return first
    }

    private func readHeader() {
        if let section = single("policy") {
            if let text = string(section.value, "the pack's name (policy)") {
                if text.isEmpty { report("the pack's name (policy) is empty", at: section.value, .invalidValue) }
                name = text
            }
        } else if let file = firstFile {
            report(
                "missing key 'policy' (the pack's name)", at: PackLocation(file: file.name, line: 1, column: 1),
                .missingKey)
        }
        if let section = single("description") {
            description = string(section.value, "description")
        }
    }

    private func readClasses() {
        guard let section = single("classes"), let items = sequence(section.value, "classes") else { return }
        for item in items {
            guard let text = string(item, "a data class") else { continue }
            guard Self.isIdentifier(text) else {
                report(
                    "data class '\(text)' must be an identifier (letters, digits, _; not starting with a digit)",
                    at: item, .invalidValue)
                continue
            }
            if classRank[text] != nil {
                report("data class '\(text)' is declared twice", at: item, .duplicate)
                continue
            }
            classRank[text] = classes.count
            classes.append(text)
        }
    }

    /// Registers a pool name used by the pack.
    func usePool(_ pool: String, at node: Located) {
        pools.append(PoolReference(name: pool, location: node.location))
    }

    private func checkPools() {
        for tier in [Tier.medium, .high] {
            guard let settings = tiers.settings(for: tier), settings.pool == nil else { continue }
            var reachedBy: String?
            if settings.fromScore != nil { reachedBy = "tiers.\(tier).from_score" }
            if defaults.tier == tier { reachedBy = "defaults.tier" }
            if defaults.onError == tier, explicitOnError { reachedBy = "defaults.on_error" }
            if let rule = rules.first(where: { $0.tier == tier && $0.approvals.isEmpty }) {
                reachedBy = "rule '\(rule.id)'"
            }
            guard let reachedBy else { continue }
            let location =
                tierLocations[tier] ?? rules.first(where: { $0.tier == tier })?.location
                ?? PackLocation(file: firstFile?.name ?? "<pack>", line: 1, column: 1)
            report(
                "tier \(tier) can be reached (\(reachedBy)) but tiers.\(tier) names no pool to review it",
                at: location, .missingPool)
        }
    }

    private func makePack() -> PolicyPack {
        var listMap = CELMap()
        for list in lists { listMap[list.name] = list.value }
        var classMap = CELMap()
        for (rank, name) in classes.enumerated() { classMap[name] = .int(Int64(rank)) }
        let compiledRules = rules.enumerated().map { CompiledRule($0.element, index: $0.offset) }
        var compiled = NameTable<CompiledResource>()
        for resource in resourceOrder {
            guard let schema = resources[resource] else { continue }
            compiled[resource] = CompiledResource(
                schema: schema, classes: classes, rules: compiledRules.filter { rules[$0.index].applies(to: resource) },
                lists: .map(listMap), classRankValue: .map(classMap))
        }
        var pack = PolicyPack(
            name: name, description: description, classes: classes, resources: resources, resourceOrder: resourceOrder,
            rules: rules, lists: lists.map { ($0.name, $0.value) }, tiers: tiers, defaults: defaults,
            businessHours: businessHours, tests: tests, version: "", pools: pools, classRank: classRank,
            compiled: compiled, listsValue: .map(listMap), classesValue: .map(classMap))
        pack.version = CanonicalJSON.hash(pack.canonicalForm)
        return pack
    }

    // MARK: Reading nodes

    /// The entries of a mapping, reporting a node that is not a mapping, non-string keys and keys
    /// not in `allowed` (with a suggestion). Unknown keys are left out; `allowed: nil` accepts any.
    func entries(_ at: Located, of what: String, allowed: [String]?) -> Entries? {
        guard case .mapping(let mapping) = at.node else {
            if case .scalar(let scalar) = at.node, scalar.style == .plain, scalar.string.isEmpty {
                return Entries(at: at, items: [])
            }
            report("\(what) must be a mapping (key: value)", at: at, .invalidValue)
            return nil
        }
        var result = Entries(at: at, items: [])
        var seen: [String: Located] = [:]
        for (keyNode, valueNode) in mapping {
            let keyAt = Located(node: keyNode, file: at.file)
            guard case .scalar(let scalar) = keyNode else {
                report("keys of \(what) must be plain strings", at: keyAt, .invalidValue)
                continue
            }
            let key = scalar.string
            // YAML 1.1 (Yams's duplicate check) reads `on` and `"on"` as different keys; keys are
            // read here as strings, where they are the same.
            if let earlier = seen[key] {
                report("duplicated key '\(key)' in \(what) (first at \(earlier.location))", at: keyAt, .duplicate)
                continue
            }
            seen[key] = keyAt
            if let allowed, !allowed.contains(key) {
                let message = Suggestion.message("unknown key '\(key)' in \(what)", word: key, candidates: allowed)
                report(
                    message.contains("did you mean")
                        ? message : "\(message) (known keys: \(allowed.joined(separator: ", ")))", at: keyAt,
                    .unknownKey)
                continue
            }
            result.items.append((key, keyAt, Located(node: valueNode, file: at.file)))
        }
        return result
    }

    /// The value of a required key, reporting it when missing.
    func require(_ key: String, in entries: Entries, of what: String) -> Located? {
        if let value = entries[key] { return value }
        report("missing key '\(key)' in \(what)", at: entries.at, .missingKey)
        return nil
    }

    /// The text of a non-null scalar.
    func string(_ at: Located, _ what: String) -> String? {
        guard case .scalar(let scalar) = at.node else {
            report("\(what) must be a string", at: at, .invalidValue)
            return nil
        }
        if case .null = YAMLValue.resolve(scalar) {
            report("\(what) must be a string, not empty", at: at, .invalidValue)
            return nil
        }
        return scalar.string
    }

    func int(_ at: Located, _ what: String) -> Int? {
        guard case .scalar(let scalar) = at.node else {
            report("\(what) must be a whole number", at: at, .invalidValue)
            return nil
        }
        switch YAMLValue.resolve(scalar) {
        case .int(let i): return Int(i)
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default:
            report("\(what) must be a whole number, not '\(scalar.string)'", at: at, .invalidValue)
            return nil
        }
    }

    func double(_ at: Located, _ what: String) -> Double? {
        guard case .scalar(let scalar) = at.node else {
            report("\(what) must be a number", at: at, .invalidValue)
            return nil
        }
        switch YAMLValue.resolve(scalar) {
        case .int(let i): return Double(i)
        case .uint(let u): return Double(u)
        case .double(let d) where d.isFinite: return d
        default:
            report("\(what) must be a finite number, not '\(scalar.string)'", at: at, .invalidValue)
            return nil
        }
    }

    func bool(_ at: Located, _ what: String) -> Bool? {
        if case .scalar(let scalar) = at.node, case .bool(let b) = YAMLValue.resolve(scalar) { return b }
        report("\(what) must be true or false, not '\(at.scalarText ?? "a collection")'", at: at, .invalidValue)
        return nil
    }

    func sequence(_ at: Located, _ what: String) -> [Located]? {
        guard case .sequence(let items) = at.node else {
            report("\(what) must be a list", at: at, .invalidValue)
            return nil
        }
        return items.map { Located(node: $0, file: at.file) }
    }

    /// A string or a list of strings.
    func strings(_ at: Located, _ what: String) -> [(String, Located)]? {
        if case .scalar = at.node {
            return string(at, what).map { [($0, at)] }
        }
        guard let items = sequence(at, what) else { return nil }
        return items.compactMap { item in string(item, what).map { ($0, item) } }
    }

    /// One of a fixed set of names, with a suggestion when misspelt.
    func choice<T: RawRepresentable & CaseIterable>(_ at: Located, _ what: String, _ type: T.Type) -> T?
    where T.RawValue == String {
        guard let text = string(at, what) else { return nil }
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        let message = Suggestion.message("\(what) must be one of \(names.joined(separator: ", ")), not '\(text)'", word: text, candidates: names)
        report(message, at: at, .invalidValue)
        return nil
    }

    /// Letters, digits and `_`, not starting with a digit: usable as a CEL field name.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    /// Names of resources, rules and pools: letters, digits, `_`, `-`, `.`.
    static func isName(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == ".")
            }
    }
}

/// A reviewer pool named by the pack, and where: the server refuses a pack naming a pool no
/// principal belongs to.
public struct PoolReference: Sendable, Hashable {
    /// The pool's name.
    public var name: String
    /// Where the pack names it.
    public var location: PackLocation
}
