import Yams

/// A YAML file of a pack being loaded: its name, text and lines (for placing errors inside
/// multi-line scalars).
final class PackFile {
    let name: String
    let text: String
    private(set) lazy var lines: [[Unicode.Scalar]] = {
        var result: [[Unicode.Scalar]] = [[]]
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                result.append([])
            } else if scalar != "\r" {
                result[result.count - 1].append(scalar)
            }
        }
        return result
    }()

    init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// A node and the file it comes from.
struct Located {
    let node: Node
    let file: PackFile

    /// The node's position (the first line when Yams gives none).
    var location: PackLocation {
        let mark = node.mark
        return PackLocation(file: file.name, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// The text of a scalar node.
    var scalarText: String? { node.scalar?.string }
}
