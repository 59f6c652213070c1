/// Parses CEL source text into an ``Expr``.
public enum Parser {
    /// Parses `source`; with `macros`, expands the standard macros into comprehensions.
    public static func parse(_ source: Source, macros: Bool = true) throws(CompileError) -> Expr {
        throw CompileError(
            stage: .syntax, issues: [Issue(location: source.location(of: 0), message: "parser not written yet")],
            source: source)
    }
}
