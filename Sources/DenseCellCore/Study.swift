/// Who made a label source.
public enum SourceRole: String, Sendable, CaseIterable {
    case truth, annotator, algorithm

    /// The role a source's name suggests when no `role` is recorded: names starting with
    /// `truth` are ground truth, names starting with `annotator` are annotators, anything else
    /// is an algorithm.
    public init(guessingFrom name: String) {
        if name.hasPrefix("truth") { self = .truth }
        else if name.hasPrefix("annotator") { self = .annotator }
        else { self = .algorithm }
    }
}

/// A named label volume with its role and optional labeled-region mask.
public struct LabelSource: Sendable {
    public var name: String
    public var role: SourceRole
    public var labels: Volume<UInt8>
    public var mask: Volume<UInt8>?   // nonzero = labeled
    public init(name: String, role: SourceRole, labels: Volume<UInt8>, mask: Volume<UInt8>? = nil) {
        self.name = name; self.role = role; self.labels = labels; self.mask = mask
    }
}

/// Per-class probabilities, channels first: (classes, z, y, x).
public struct ProbabilitySource: Sendable {
    public var name: String
    public var classes: Int
    public var shape: Shape3
    public var data: [Float]
    public init(name: String, classes: Int, shape: Shape3, data: [Float]) {
        precondition(data.count == classes * shape.count)
        self.name = name; self.classes = classes; self.shape = shape; self.data = data
    }
}

/// An EM image with the label and probability sources that describe it.
public struct Study: Sendable {
    public var image: Volume<Float>
    /// Voxel size in nanometres (z, y, x), when known.
    public var resolutionNM: [Double]?
    public var labels: [LabelSource]
    public var probabilities: [ProbabilitySource]
    public var schema: LabelSchema

    public init(image: Volume<Float>, resolutionNM: [Double]? = nil, labels: [LabelSource] = [],
                probabilities: [ProbabilitySource] = [], schema: LabelSchema = .platelet) {
        self.image = image; self.resolutionNM = resolutionNM; self.labels = labels
        self.probabilities = probabilities; self.schema = schema
    }

    public var shape: Shape3 { image.shape }

    public func source(named name: String) -> LabelSource? { labels.first { $0.name == name } }

    public enum ValidationError: Error, CustomStringConvertible {
        case shapeMismatch(source: String, shape: Shape3, image: Shape3)
        public var description: String {
            switch self {
            case .shapeMismatch(let s, let shape, let image):
                "label source \(s) has shape \(shape) but the image is \(image)"
            }
        }
    }

    /// Adds or replaces a label source, checking that it matches the image.
    public mutating func setLabels(_ source: LabelSource) throws {
        guard source.labels.shape == shape else {
            throw ValidationError.shapeMismatch(source: source.name, shape: source.labels.shape, image: shape)
        }
        if let i = labels.firstIndex(where: { $0.name == source.name }) { labels[i] = source } else { labels.append(source) }
    }
}
