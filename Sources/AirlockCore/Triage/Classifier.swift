import CEL

/// What a mutation touches: the data classes of its fields, how many records, and whether it can
/// be undone.
public struct Classification: Sendable, Hashable {
    /// The data classes of the touched fields, least sensitive first.
    public var classes: [String]
    /// The most sensitive of them; `nil` when no touched field is classified.
    public var maxClass: String?
    /// The rank of ``maxClass`` in the pack's classes (0 = least sensitive); -1 when none.
    public var maxRank: Int
    /// How many records the mutation touches.
    public var records: Int
    /// Whether the change can be undone exactly.
    public var reversible: Bool
    /// The classes with their CEL values, when computed by the classifier.
    var classSet: ClassSet?

    public init(classes: [String], maxClass: String?, maxRank: Int, records: Int, reversible: Bool) {
        self.classes = classes
        self.maxClass = maxClass
        self.maxRank = maxRank
        self.records = records
        self.reversible = reversible
    }

    public static func == (lhs: Classification, rhs: Classification) -> Bool {
        lhs.classes == rhs.classes && lhs.maxClass == rhs.maxClass && lhs.maxRank == rhs.maxRank
            && lhs.records == rhs.records && lhs.reversible == rhs.reversible
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(classes)
        hasher.combine(records)
        hasher.combine(reversible)
    }
}

/// Classifies a validated mutation.
public enum Classifier {
    /// The classification of `mutation`. The touched fields are the fields in the changes; a
    /// delete touches every field of the record.
    public static func classify(_ mutation: Mutation, in pack: PolicyPack) -> Classification {
        guard let resource = pack.compiled[mutation.resource] else {
            return Classification(classes: [], maxClass: nil, maxRank: -1, records: mutation.recordCount, reversible: false)
        }
        return classify(mutation, resource: resource, classes: pack.classes)
    }

    static func classify(_ mutation: Mutation, resource: CompiledResource, classes names: [String]) -> Classification {
        let reversible = resource.schema.reversible
        var bits = 0
        if mutation.operation == .delete {
            bits = resource.allClassesBits
        } else {
            mutation.changes.forEachInPlace { key, _ in
                guard case .string(let name) = key.pointee else { return }
                bits |= resource.fields.withCheck(name) { $0.classBit } ?? 0
            }
        }
        if bits < resource.classSets.count {
            let set = resource.classSets[bits]
            var result = Classification(
                classes: set.classes, maxClass: set.maxClass, maxRank: set.maxRank, records: mutation.recordCount,
                reversible: reversible)
            result.classSet = set
            return result
        }
        // More classes in one resource than were worth tabulating.
        let ranks = resource.classRanks.indices.filter { bits & (1 << $0) != 0 }.map { resource.classRanks[$0] }
        let set = ClassSet(ranks: ranks, names: names)
        var result = Classification(
            classes: set.classes, maxClass: set.maxClass, maxRank: set.maxRank, records: mutation.recordCount,
            reversible: reversible)
        result.classSet = set
        return result
    }
}
