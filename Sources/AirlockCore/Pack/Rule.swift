import CEL

/// A policy rule: when its condition holds for a mutation, it names a tier and/or adds a score,
/// may require approvals, and gives a reason.
public struct Rule: Sendable {
    /// The rule's id, unique in the pack.
    public var id: String
    /// What the rule is for, for people.
    public var description: String?
    /// The resources the rule applies to; `nil` for every resource.
    public var resources: [String]?
    /// The condition, in CEL.
    public var when: String
    /// The tier the rule names, if any.
    public var tier: Tier?
    /// The score the rule adds, if any (may be negative).
    public var score: Int?
    /// The approvals the rule requires (tier medium or high only): every group must complete.
    public var approvals: [ApprovalGroup]
    /// How many distinct rejections reject the mutation (`reject_after`); `nil` when the rule
    /// does not say (1).
    public var rejectAfter: Int?
    /// How long reviewers have when the rule matches (`sla`), in seconds; `nil` for the tier's.
    public var slaSeconds: Int?
    /// The reason template: text with `${expression}` parts.
    public var reason: String
    /// Where the rule is declared.
    public var location: PackLocation

    /// The compiled condition.
    let program: Program
    /// The compiled reason.
    let reasonTemplate: ReasonTemplate
    /// The paths the condition reads, for reasons and explanations.
    let reads: [ReadPath]

    /// Whether the rule applies to mutations of `resource`.
    public func applies(to resource: String) -> Bool {
        resources.map { $0.contains(resource) } ?? true
    }
}

/// A reason template: literal text and compiled `${…}` expressions.
struct ReasonTemplate: Sendable {
    enum Part: Sendable {
        case text(String)
        case expression(String, Program)
    }

    var parts: [Part] {
        didSet { literal = Self.literal(of: parts) }
    }
    /// The whole text when the template has no expressions: rendered without building a string.
    private(set) var literal: String?

    init(parts: [Part]) {
        self.parts = parts
        literal = Self.literal(of: parts)
    }

    private static func literal(of parts: [Part]) -> String? {
        var literal = ""
        for part in parts {
            guard case .text(let text) = part else { return nil }
            literal += text
        }
        return literal
    }
}
