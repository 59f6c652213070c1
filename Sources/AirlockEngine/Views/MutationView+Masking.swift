import AirlockCore
import CEL
import Crypto
import Foundation

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

    /// The fields of a resource whose values `principal` may not see.
    public static func hiddenFields(_ classes: [String: String], for principal: Principal) -> Set<String> {
        guard principal.clearances != nil else { return [] }
        return Set(classes.filter { !principal.isCleared(for: $0.value) }.keys)
    }

    /// The view as a reader who may not see `hidden` fields may see it: their values in
    /// ``changes`` are null and named in ``maskedFields`` (the fact that they change is shown, the
    /// value never is); a reason or a validation problem that may quote one is replaced by
    /// ``hiddenReason``; the content hash becomes `seenToken` of it (a bare hash of the content
    /// would let the reader guess low-entropy values such as amounts until it matches).
    public func masked(hidden: Set<String>, reasonTemplates: [String: String], seenToken: (String) -> String) -> MutationView {
        guard !hidden.isEmpty else { return self }
        var copy = self
        if case .map(let changes) = changes {
            var shown = CELMap()
            var masked: [String] = []
            for (key, value) in changes.entries {
                if case .string(let name) = key, hidden.contains(name) {
                    shown[key] = .null
                    masked.append(name)
                } else {
                    shown[key] = value
                }
            }
            copy.changes = .map(shown)
            copy.maskedFields = masked
        }
        copy.reasons = reasons.map { reason in
            Self.mayQuote(reasonTemplates[reason.rule], hidden) ? (reason.rule, Self.hiddenReason) : reason
        }
        copy.errors = errors.map { error in
            Self.pathNamesHidden(error.path, hidden) ? (error.path, "(hidden: a field you are not cleared for)") : error
        }
        copy.contentHash = seenToken(contentHash)
        return copy
    }

    /// What a reason's message reads when it may quote a value the reader may not see.
    public static let hiddenReason = "(hidden: this reason may quote values you are not cleared for)"

    /// Whether a rule's reason template (`nil`: unknown rule) may quote one of `hidden`: it names
    /// such a field of the changes or the before values, or reads those maps whole or by index.
    public static func mayQuote(_ template: String?, _ hidden: Set<String>) -> Bool {
        guard !hidden.isEmpty else { return false }
        guard let template else { return true }
        guard template.contains("${") else { return false }
        if template.contains("mutation[") { return true }
        for root in ["mutation.changes", "mutation.before"] {
            var rest = Substring(template)
            while let range = rest.range(of: root) {
                rest = rest[range.upperBound...]
                guard rest.first == "." else { return true }  // the whole map, or an index into it
                let name = rest.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if hidden.contains(String(name)) { return true }
            }
        }
        return false
    }

    /// Whether a rule's read path or a problem's path reaches a hidden field, or a whole map that
    /// holds one (`mutation.changes`, `mutation.before`).
    public static func pathNamesHidden(_ path: String, _ hidden: Set<String>) -> Bool {
        guard !hidden.isEmpty else { return false }
        for prefix in ["mutation.changes", "mutation.before", "changes", "before"] where path == prefix || path.hasPrefix(prefix + ".") || path.hasPrefix(prefix + "[") {
            guard path.hasPrefix(prefix + ".") else { return true }
            let name = path.dropFirst(prefix.count + 1).prefix { $0 != "." && $0 != "[" }
            return hidden.contains(String(name))
        }
        return false
    }
}

extension Gateway {
    /// The view as `principal` may see it (``MutationView/masked(hidden:reasonTemplates:seenToken:)``),
    /// with the classes of the active pack.
    func masked(_ view: MutationView, for principal: Principal) -> MutationView {
        guard principal.clearances != nil else { return view }
        let pack = activePack
        let hidden = MutationView.hiddenFields(MutationView.fieldClasses(of: view.resource, in: pack), for: principal)
        return view.masked(hidden: hidden, reasonTemplates: MutationView.reasonTemplates(in: pack), seenToken: seenToken)
    }

    /// What a vote names as seen when the reader was not shown the content hash: an HMAC of the
    /// hash under this gateway's own key (made at start, so a token is good until a restart).
    public func seenToken(_ contentHash: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(contentHash.utf8), using: SymmetricKey(data: seenKey))
        return Self.seenTokenPrefix + code.map { String(format: "%02x", $0) }.joined()
    }

    /// How a seen token starts (a content hash is bare hex).
    static let seenTokenPrefix = "seen:"
}

extension MutationView {
    /// The reason template of every rule of a pack, by rule id.
    public static func reasonTemplates(in pack: PolicyPack?) -> [String: String] {
        var templates: [String: String] = [:]
        for rule in pack?.rules ?? [] { templates[rule.id] = rule.reason }
        return templates
    }
}
