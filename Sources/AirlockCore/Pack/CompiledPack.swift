import CEL

/// What the decision path needs of a resource, built once at load so that a decision does one
/// dictionary lookup for its resource and then follows references (no struct copies).
final class CompiledResource: Sendable {
    let schema: ResourceSchema
    /// A bit per allowed operation (create 1, update 2, delete 4).
    let operationBits: UInt8
    let fields: FieldTable
    let required: [String]
    let trackedFields: [String]
    /// The distinct classes of the resource's fields, least sensitive first, and for every subset
    /// of them (a bit per class, in that order) its classification, computed once.
    let classRanks: [Int]
    let classSets: [ClassSet]
    /// The subset a delete touches: every field's class.
    let allClassesBits: Int
    /// The rules that apply to the resource, in pack order.
    let rules: [CompiledRule]
    /// The variable fields those rules read.
    let needs: ActivationNeeds
    /// The activation with every needed variable bound (constants to their values, the rest to
    /// null) and the maps of the object variables with their needed keys: filled per decision.
    let activationTemplate: Activation
    /// What each binding of ``activationTemplate`` holds, in its order.
    let activationSlots: [ActivationSlot]
    /// The maps of `mutation`, `data` and `signals` with their needed keys, and for each entry
    /// its field's position in ``ActivationNeeds/fields``.
    let mutationTemplate: CELMap
    let mutationFields: [Int]
    let dataTemplate: CELMap
    let dataFields: [Int]
    let signalsTemplate: CELMap
    let signalsFields: [Int]

    init(schema: ResourceSchema, classes: [String], rules: [CompiledRule], lists: Value, classRankValue: Value) {
        self.schema = schema
        operationBits = schema.operations.reduce(0) { $0 | Self.bit($1) }
        let ranks = Set(schema.orderedFields.compactMap(\.classRank)).sorted()
        let required = schema.orderedFields.filter(\.required).map(\.name)
        fields = FieldTable(
            schema.orderedFields.map { field in
                FieldCheck(
                    field, isAmount: field.name == schema.amountField,
                    classBit: field.classRank.flatMap { ranks.firstIndex(of: $0) }.map { 1 << $0 } ?? 0,
                    requiredBit: required.firstIndex(of: field.name).map { $0 < 64 ? 1 << UInt64($0) : 0 } ?? 0)
            })
        self.required = required
        trackedFields = schema.trackedFields
        classRanks = ranks
        if ranks.count <= 12 {
            classSets = (0..<(1 << ranks.count)).map { bits in
                ClassSet(ranks: ranks.indices.filter { bits & (1 << $0) != 0 }.map { ranks[$0] }, names: classes)
            }
        } else {
            classSets = []
        }
        allClassesBits = (1 << ranks.count) - 1
        self.rules = rules
        var needs = ActivationNeeds()
        for rule in rules {
            needs.add(rule.program.expression)
            for part in rule.reasonTemplate.parts {
                if case .expression(_, let program) = part { needs.add(program.expression) }
            }
        }
        self.needs = needs
        mutationTemplate = needs.template("mutation")
        mutationFields = needs.fieldIndices("mutation")
        dataTemplate = needs.template("data")
        dataFields = needs.fieldIndices("data")
        signalsTemplate = needs.template("signals")
        signalsFields = needs.fieldIndices("signals")
        var activation = Activation()
        if needs.mutation != 0 { activation["mutation"] = .null }
        if needs.actor != 0 { activation["actor"] = .null }
        if needs.data != 0 { activation["data"] = .null }
        if needs.signals != 0 { activation["signals"] = .null }
        if needs.system != 0 { activation["system"] = .null }
        if needs.lists { activation["lists"] = lists }
        if needs.classes { activation["classes"] = classRankValue }
        if needs.now { activation["now"] = .null }
        activationTemplate = activation
        var slots = [ActivationSlot](repeating: .constant, count: activation.count)
        for slot in ActivationSlot.allCases where slot != .constant {
            if let i = activation.position(of: slot.rawValue) { slots[i] = slot }
        }
        activationSlots = slots
    }
}

/// What a binding of a resource's activation template holds: a per-decision variable, or a
/// constant of the pack (`lists`, `classes`) kept as it is.
enum ActivationSlot: String, Sendable, CaseIterable {
    case mutation, actor, data, signals, system, now, constant
}

extension CompiledResource {
    static func bit(_ operation: Mutation.Operation) -> UInt8 {
        switch operation {
        case .create: 1
        case .update: 2
        case .delete: 4
        }
    }

    /// Calls `body` with each rule, in pack order, lent without counting a reference to it (the
    /// resource holds its rules; a decision runs about fifteen of them).
    @inline(__always)
    func forEachRule(_ body: (CompiledRule) -> Void) {
        for index in rules.indices { Unmanaged.passUnretained(rules[index])._withUnsafeGuaranteedRef(body) }
    }

    /// The bit of a class in ``classRanks``, or nil.
    func classBit(ofRank rank: Int) -> Int? {
        classRanks.firstIndex(of: rank).map { 1 << $0 }
    }
}

/// A set of data classes with what a decision needs of it, computed at load. A class: a
/// classification carries it by one reference.
final class ClassSet: Sendable {
    let classes: [String]
    let maxClass: String?
    let maxRank: Int
    /// `data.classes` and `data.max_class` as CEL values.
    let classesValue: Value
    let maxClassValue: Value

    init(ranks: [Int], names: [String]) {
        classes = ranks.sorted().map { names[$0] }
        maxRank = ranks.max() ?? -1
        maxClass = maxRank >= 0 ? names[maxRank] : nil
        classesValue = .list(classes.map(Value.string))
        maxClassValue = .string(maxClass ?? "")
    }
}

/// A resource's fields by name: searched linearly while there are few (comparing short strings
/// beats hashing them), through a dictionary beyond.
struct FieldTable: Sendable {
    private let names: [String]
    private let checks: [FieldCheck]
    private let index: [String: Int]?

    init(_ checks: [FieldCheck]) {
        self.checks = checks
        names = checks.map(\.field.name)
        index = checks.count > 12 ? Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) : nil
    }

    @inline(__always)
    subscript(name: String) -> FieldCheck? {
        position(of: name).map { checks[$0] }
    }

    /// Calls `body` with the check of `name` (`nil` when the resource has no such field),
    /// without counting a reference to it: the decision path looks up every field of a
    /// mutation several times.
    @inline(__always)
    func withCheck<R>(_ name: String, _ body: (FieldCheck) throws -> R) rethrows -> R? {
        guard let i = position(of: name) else { return nil }
        return try Unmanaged.passUnretained(checks[i])._withUnsafeGuaranteedRef(body)
    }

    @inline(__always)
    private func position(of name: String) -> Int? {
        if let index { return index[name] }
        // Comparing lengths first spares most mismatches the full string comparison.
        let length = name.utf8.count
        for i in names.indices where names[i].utf8.count == length && names[i] == name { return i }
        return nil
    }
}

/// A field's checks, ready to run.
final class FieldCheck: Sendable {
    let field: FieldSchema
    let type: FieldType
    let isNumeric: Bool
    let isAmount: Bool
    /// The field's pattern: the fast matcher when the pattern is simple, else CEL's `matches`.
    /// Two references rather than an enum: reading a class's constant reference costs no
    /// reference count, copying an enum out of it does.
    let simplePattern: SimplePattern?
    let celPattern: Program?
    /// The field's bounds and allowed values, held here so that a check reads them in place:
    /// reading them through ``field`` copies the whole schema (a dozen references).
    let minimum: Double?
    let maximum: Double?
    let minLength: Int?
    let maxLength: Int?
    let allowed: [Value]?
    /// ``allowed`` when every allowed value is a string.
    let allowedStrings: [String]?
    /// The bit of the field's class among its resource's classes (0 when unclassified).
    let classBit: Int
    /// The bit of the field among the resource's required fields (0 when optional).
    let requiredBit: UInt64

    init(_ field: FieldSchema, isAmount: Bool, classBit: Int, requiredBit: UInt64) {
        self.field = field
        self.classBit = classBit
        self.requiredBit = requiredBit
        type = field.type
        isNumeric = field.type.isNumeric
        minimum = field.minimum
        maximum = field.maximum
        minLength = field.minLength
        maxLength = field.maxLength
        allowed = field.allowed
        let strings = field.allowed?.compactMap { value -> String? in
            if case .string(let s) = value { return s }
            return nil
        }
        allowedStrings = strings?.count == field.allowed?.count ? strings : nil
        self.isAmount = isAmount
        if let pattern = field.pattern, let program = field.patternProgram {
            simplePattern = SimplePattern(pattern)
            celPattern = simplePattern == nil ? program : nil
        } else {
            simplePattern = nil
            celPattern = nil
        }
    }
}

extension FieldCheck {
    /// Whether `text` matches the field's pattern (true when it has none).
    func matchesPattern(_ text: String) -> Bool {
        if let simplePattern { return simplePattern.matches(text) }
        guard let celPattern else { return true }
        var activation = Activation()
        activation["value"] = .string(text)
        if case .bool(true)? = try? celPattern.evaluate(activation) { return true }
        return false
    }
}

/// A rule as the decision path uses it.
final class CompiledRule: Sendable {
    let id: String
    let tier: Tier?
    let score: Int?
    let approvals: [ApprovalGroup]
    let rejectAfter: Int?
    let slaSeconds: Int?
    let program: Program
    let reasonTemplate: ReasonTemplate
    let reads: [ReadPath]
    /// The rule's position in the pack.
    let index: Int

    init(_ rule: Rule, index: Int) {
        id = rule.id
        tier = rule.tier
        score = rule.score
        approvals = rule.approvals
        rejectAfter = rule.rejectAfter
        slaSeconds = rule.slaSeconds
        program = rule.program
        reasonTemplate = rule.reasonTemplate
        reads = rule.reads
        self.index = index
    }
}
