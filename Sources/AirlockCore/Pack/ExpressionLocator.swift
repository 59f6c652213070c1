import Yams

/// Places a position inside a scalar's value (a CEL error's offset in a `when`) in the YAML file.
///
/// Exact for plain and quoted scalars on one line, for plain and quoted scalars folded over
/// several lines, and for literal (`|`) and folded (`>`) block scalars without blank lines inside
/// the expression. Escapes in double-quoted scalars are accounted for.
enum ExpressionLocator {
    /// The file location of the Unicode-scalar `offset` into the value of `scalar`.
    static func location(ofValueOffset offset: Int, in scalar: Node.Scalar, file: PackFile) -> PackLocation {
        let lines = file.lines
        guard let mark = scalar.mark, mark.line >= 1, mark.line <= lines.count else {
            return PackLocation(file: file.name, line: scalar.mark?.line ?? 1, column: scalar.mark?.column ?? 1)
        }
        var line = mark.line - 1
        var column = mark.column - 1
        var value = 0
        func place() -> PackLocation { PackLocation(file: file.name, line: line + 1, column: column + 1) }
        func skipIndent() {
            column = 0
            while line < lines.count, column < lines[line].count, lines[line][column] == " " || lines[line][column] == "\t" {
                column += 1
            }
        }
        switch scalar.style {
        case .literal, .folded:
            line += 1
            var indent = 0
            var probe = line
            while probe < lines.count {
                let text = lines[probe]
                let leading = text.prefix { $0 == " " }.count
                if leading < text.count {
                    indent = leading
                    break
                }
                probe += 1
            }
            column = indent
            while value < offset, line < lines.count {
                if column >= lines[line].count {
                    line += 1
                    column = indent
                } else {
                    column += 1
                }
                value += 1
            }
            return place()
        case .singleQuoted, .doubleQuoted:
            column += 1
        default:
            break
        }
        let doubleQuoted = scalar.style == .doubleQuoted
        let singleQuoted = scalar.style == .singleQuoted
        while value < offset, line < lines.count {
            let text = lines[line]
            if column >= text.count {
                line += 1
                skipIndent()
                value += 1
                continue
            }
            let c = text[column]
            if doubleQuoted, c == "\\", column + 1 < text.count {
                switch text[column + 1] {
                case "x": column += 4
                case "u": column += 6
                case "U": column += 10
                default: column += 2
                }
            } else if singleQuoted, c == "'", column + 1 < text.count, text[column + 1] == "'" {
                column += 2
            } else {
                column += 1
            }
            value += 1
        }
        return place()
    }
}
