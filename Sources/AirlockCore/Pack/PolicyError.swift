/// Where something is in a pack: file, 1-based line and column (columns count Unicode scalars).
public struct PackLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file name as given to the loader.
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: PackLocation, rhs: PackLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found while loading a pack, with where it is and what kind it is.
public struct PolicyProblem: Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem. Extensible: match on it only where the kind matters (tests do).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The YAML does not parse (or has a duplicated key).
        public static let yamlSyntax = Code("yaml-syntax")
        /// A key the format does not know.
        public static let unknownKey = Code("unknown-key")
        /// A required key is missing.
        public static let missingKey = Code("missing-key")
        /// A value of the wrong kind or out of its allowed set.
        public static let invalidValue = Code("invalid-value")
        /// Two things share a name that must be unique (rule ids, resources, lists, fields).
        public static let duplicate = Code("duplicate")
        /// A section declared twice across the pack's files.
        public static let duplicateSection = Code("duplicate-section")
        /// A data class not in `classes`.
        public static let undeclaredClass = Code("undeclared-class")
        /// A resource not in `resources`.
        public static let unknownResource = Code("unknown-resource")
        /// A rule id (in a test's expectation) not in `rules`.
        public static let unknownRule = Code("unknown-rule")
        /// Tier thresholds not increasing from medium to high to block.
        public static let thresholdOrder = Code("threshold-order")
        /// A CEL syntax error in a `when` or a `${…}` of a reason.
        public static let celSyntax = Code("cel-syntax")
        /// A CEL type error: unknown field, variable or function, mismatched operands.
        public static let celType = Code("cel-type")
        /// A tier some rule can reach has no reviewer pool.
        public static let missingPool = Code("missing-pool")
        /// A pool that no principal belongs to (checked against the server configuration).
        public static let unknownPool = Code("unknown-pool")
    }

    /// Where the problem is.
    public var location: PackLocation
    /// What is wrong, for a person.
    public var message: String
    /// The kind of problem.
    public var code: Code

    public init(location: PackLocation, message: String, code: Code) {
        self.location = location
        self.message = message
        self.code = code
    }

    /// `file:line:column: message`.
    public var description: String { "\(location): \(message)" }
}

/// A pack that did not load: every problem found, each with its place.
public struct PolicyError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file and line order.
    public var problems: [PolicyProblem]

    public init(problems: [PolicyProblem]) {
        self.problems = problems
    }

    /// One `file:line:column: message` per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
