import DenseCellCore
import DenseCellIO
import Foundation

/// The `--labels NAME=REF` arguments of `view` and `export`: label sources added to (or standing
/// in for) a study's, parsed here and opened by `OpenedStudy.open`.
enum LabelReferences {
    /// `NAME=REF` pairs, each NAME usable as a pane name.
    static func parse(_ arguments: [String]) throws -> [(name: String, reference: String)] {
        var seen = Set<String>()
        return try arguments.map { text in
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
                throw UsageError("--labels \(text): expected NAME=REF, e.g. truth=labels.tif")
            }
            let name = String(text[..<eq])
            guard (try? Pane.parse(name)) == .labels(name) else { throw UsageError("--labels \(text): \"\(name)\" cannot name a label source") }
            guard seen.insert(name).inserted else { throw UsageError("--labels \(text): \"\(name)\" is given twice") }
            return (name, String(text[text.index(after: eq)...]))
        }
    }

    /// The study and the `--image` / `--labels` references, opened; with `panes`, only the label
    /// sources they show (in pane order), else all of them by role.
    static func open(study: String?, image: String?, labels: [String], schema: LabelSchema?, panes: [Pane]? = nil) throws -> OpenedStudy {
        guard study != nil || image != nil else { throw UsageError("give a study file, or the image with --image") }
        let select = panes.map { panes in
            panes.flatMap(\.sourceNames).reduce(into: [String]()) { names, n in if !names.contains(n) { names.append(n) } }
        }
        return try OpenedStudy.open(study: study, image: image, labels: try parse(labels), schema: schema, select: select)
    }
}
