import AirlockCore
import CEL

extension MutationView {
    /// The data class of each field of the mutation's resource in `pack` (fields without a class
    /// are left out).
    public static func fieldClasses(of resource: String, in pack: PolicyPack?) -> [String: String] {
        guard let schema = pack?.resources[resource] else { return [:] }
        var classes: [String: String] = [:]
        for (name, field) in schema.fields {
            if let dataClass = field.dataClass { classes[name] = dataClass }
        }
        return classes
    }

    /// The view as `principal` may see it: the value of every changed field of a data class it is
    /// not cleared for is replaced by null, and the field is named in ``maskedFields`` (the fact
    /// that it changes is shown, its value never is).
    ///
    /// A reason whose message may quote a hidden value (its rule's `reason` names a hidden field,
    /// or the rule is not in `reasonTemplates`) is replaced by ``hiddenReason``.
    public func masked(for principal: Principal, classes: [String: String], reasonTemplates: [String: String]) -> MutationView {
        guard principal.clearances != nil, case .map(let changes) = changes else { return self }
        var copy = self
        var shown = CELMap()
        var masked: [String] = []
        for (key, value) in changes.entries {
            guard case .string(let name) = key else {
                shown[key] = value
                continue
            }
            if principal.isCleared(for: classes[name]) {
                shown[key] = value
            } else {
                shown[key] = .null
                masked.append(name)
            }
        }
        guard !masked.isEmpty else { return self }
        copy.changes = .map(shown)
        copy.maskedFields = masked
        copy.reasons = reasons.map { reason in
            Self.mayQuote(reasonTemplates[reason.rule], masked) ? (reason.rule, Self.hiddenReason) : reason
        }
        return copy
    }

    /// What a reason's message reads when it may quote a value the reader may not see.
    public static let hiddenReason = "(hidden: this reason may quote values you are not cleared for)"

    /// Whether a rule's reason template (`nil`: unknown rule) may quote one of `fields`.
    public static func mayQuote(_ template: String?, _ fields: [String]) -> Bool {
        guard let template else { return true }
        guard template.contains("${") else { return false }
        return fields.contains { template.contains("changes.\($0)") || template.contains("before.\($0)") || template.contains("[\"\($0)\"]") }
    }

    /// The reason template of every rule of a pack, by rule id.
    public static func reasonTemplates(in pack: PolicyPack?) -> [String: String] {
        var templates: [String: String] = [:]
        for rule in pack?.rules ?? [] { templates[rule.id] = rule.reason }
        return templates
    }
}

extension Gateway {
    /// ``MutationView/masked(for:classes:)`` with the classes of the active pack.
    func masked(_ view: MutationView, for principal: Principal) -> MutationView {
        guard principal.clearances != nil else { return view }
        let pack = activePack
        return view.masked(
            for: principal, classes: MutationView.fieldClasses(of: view.resource, in: pack),
            reasonTemplates: MutationView.reasonTemplates(in: pack))
    }
}
