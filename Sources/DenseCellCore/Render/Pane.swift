import Foundation

/// One panel of a figure: the image, the image with a label source over it, or the
/// disagreement map of two label sources (the first is the reference, A).
public enum Pane: Hashable, Sendable, CustomStringConvertible {
    /// The image alone.
    case image
    /// The image with the named label source over it.
    case labels(String)
    /// The disagreement map of label sources A (reference) and B.
    case disagreement(String, String)

    /// Parses one pane spec: `image`, a label source name, or `diff:A/B`.
    /// (A label source called `image` cannot be shown on its own; the name means the image.)
    public static func parse(_ spec: String) throws(FigureError) -> Pane {
        let s = spec.trimmingCharacters(in: .whitespaces)
        if s.isEmpty { throw .badPaneSpec(spec, "empty pane name") }
        if s == "image" { return .image }
        if s.hasPrefix("diff:") {
            let pair = s.dropFirst("diff:".count).split(separator: "/", omittingEmptySubsequences: false)
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else {
                throw .badPaneSpec(spec, "a disagreement pane is diff:A/B with two label sources")
            }
            return .disagreement(String(pair[0]), String(pair[1]))
        }
        if s.contains(":") || s.contains("/") {
            throw .badPaneSpec(spec, "expected image, a label source name, or diff:A/B")
        }
        return .labels(s)
    }

    /// Parses a comma-separated list of pane specs (`image,truth,diff:truth/ensemble`).
    public static func parseList(_ text: String) throws(FigureError) -> [Pane] {
        var panes: [Pane] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) { panes.append(try parse(String(part))) }
        return panes
    }

    /// The spec that parses back to this pane.
    public var description: String {
        switch self {
        case .image: "image"
        case .labels(let name): name
        case .disagreement(let a, let b): "diff:\(a)/\(b)"
        }
    }

    /// The label sources this pane reads.
    public var sourceNames: [String] {
        switch self {
        case .image: []
        case .labels(let name): [name]
        case .disagreement(let a, let b): [a, b]
        }
    }

    /// The heading drawn above the panel.
    public var title: String {
        switch self {
        case .image: "image"
        case .labels(let name): name
        case .disagreement(let a, let b): "\(a) vs \(b)"
        }
    }

    /// The pane's part of an output file name: `image`, `truth`, `diff-truth-ensemble`,
    /// keeping only characters that are safe in file names everywhere.
    public var fileNameComponent: String {
        switch self {
        case .image: "image"
        case .labels(let name): Pane.safe(name)
        case .disagreement(let a, let b): "diff-\(Pane.safe(a))-\(Pane.safe(b))"
        }
    }

    static func safe(_ name: String) -> String {
        String(name.unicodeScalars.map { c -> Character in
            let ok = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == "_" || c == "."
            return ok ? Character(c) : "_"
        })
    }
}

/// Bad figure requests, worded for a one-line message.
public enum FigureError: Error, CustomStringConvertible, Equatable {
    /// A pane spec (given) that cannot be read, and why.
    case badPaneSpec(String, String)
    /// A pane names a label source the study lacks; lists those it has.
    case missingSource(String, available: [String])
    /// The slice index is outside the volume's `count` planes.
    case sliceOutOfRange(Int, count: Int)
    /// The region of interest (as given) does not fit the slice.
    case roiOutOfRange(String)
    /// An option value that cannot be used, described.
    case badOption(String)
    /// No panes were asked for.
    case noPanes

    /// One line naming the spec, source, slice or option at fault.
    public var description: String {
        switch self {
        case .badPaneSpec(let spec, let why): "pane \"\(spec)\": \(why)"
        case .missingSource(let name, let available):
            "no label source \"\(name)\" (the study has: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .sliceOutOfRange(let z, let count): "slice z \(z) is outside the volume (z 0–\(count - 1))"
        case .roiOutOfRange(let why): "region of interest \(why)"
        case .badOption(let why): why
        case .noPanes: "no panes to draw"
        }
    }
}
