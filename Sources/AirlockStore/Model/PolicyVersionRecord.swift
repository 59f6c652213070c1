import Foundation

/// A policy pack version to remember.
public struct NewPolicyVersion: Sendable, Hashable {
    /// The pack's name (`policy:` in the YAML).
    public var name: String
    /// The version hash: what mutations, decisions and votes refer to.
    public var hash: String
    /// The pack's YAML text.
    public var text: String
    /// Who loaded it.
    public var createdBy: String

    /// A version.
    public init(name: String, hash: String, text: String, createdBy: String) {
        self.name = name
        self.hash = hash
        self.text = text
        self.createdBy = createdBy
    }
}

/// A policy pack version as the store keeps it.
public struct PolicyVersionRecord: Sendable, Hashable {
    /// The pack's name.
    public var name: String
    /// The version hash.
    public var hash: String
    /// The pack's YAML text.
    public var text: String
    /// When it was first stored.
    public var createdAt: Date
    /// Who stored it.
    public var createdBy: String
    /// When it was last activated.
    public var activatedAt: Date?
    /// Who last activated it.
    public var activatedBy: String?
    /// Whether it is the active version (at most one is).
    public var isActive: Bool

    /// A version as read from a store.
    public init(
        name: String, hash: String, text: String, createdAt: Date, createdBy: String, activatedAt: Date?,
        activatedBy: String?, isActive: Bool
    ) {
        self.name = name
        self.hash = hash
        self.text = text
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.activatedAt = activatedAt
        self.activatedBy = activatedBy
        self.isActive = isActive
    }
}
