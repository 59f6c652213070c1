/// The text of an expression, with what is needed to turn offsets into lines and columns.
public struct Source: Sendable {
    /// The expression text.
    public let text: String
    /// The text as Unicode scalars; offsets index into this.
    public let scalars: [Unicode.Scalar]
    /// Offset of the first scalar of each line.
    private let lineStarts: [Int]

    public init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
        var starts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" {
            starts.append(index + 1)
        }
        self.lineStarts = starts
    }

    /// The 1-based line and column of an offset.
    public func location(of offset: Int) -> SourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return SourceLocation(offset: offset, line: low + 1, column: offset - lineStarts[low] + 1)
    }

    /// The text of a 1-based line, without its line break.
    public func line(_ number: Int) -> String {
        guard number >= 1, number <= lineStarts.count else { return "" }
        let start = lineStarts[number - 1]
        let end = number < lineStarts.count ? lineStarts[number] - 1 : scalars.count
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<max(start, end)])
        return String(view)
    }
}

/// A place in a source text.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var line: Int
    public var column: Int
    public var description: String { "\(line):\(column)" }
}
