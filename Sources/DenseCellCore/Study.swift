/// Who made a label source.
public enum SourceRole: String, Sendable, CaseIterable {
    /// Ground truth.
    case truth
    /// A human annotator compared against the truth.
    case annotator
    /// A segmentation algorithm (a network, a baseline).
    case algorithm

    /// The role a source's name suggests when no `role` is recorded: names starting with
    /// `truth` are ground truth, names starting with `annotator` are annotators, anything else
    /// is an algorithm.
    public init(guessingFrom name: String) {
        if name.hasPrefix("truth") { self = .truth }
        else if name.hasPrefix("annotator") { self = .annotator }
        else { self = .algorithm }
    }
}

extension SourceRole: Comparable {
    /// Truth first, then annotators, then algorithms: the order sources are listed and compared in.
    public static func < (a: SourceRole, b: SourceRole) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// `items` sorted by role, keeping their order within a role (a stable sort).
    public static func ordered<T>(_ items: [T], by role: (T) -> SourceRole) -> [T] {
        items.enumerated().sorted { (role($0.element), $0.offset) < (role($1.element), $1.offset) }.map(\.element)
    }
}

/// A named label volume with its role and optional labeled-region mask.
public struct LabelSource: Sendable {
    /// The source's name in the study file (`truth`, `annotator1`, `unet`, …).
    public var name: String
    /// Who made the labels.
    public var role: SourceRole
    /// One class index per voxel.
    public var labels: Volume<UInt8>
    /// Where the source is labeled (nonzero = labeled); nil means everywhere.
    public var mask: Volume<UInt8>?
    /// A source from its labels and, when only part of the volume was labeled, its mask.
    public init(name: String, role: SourceRole, labels: Volume<UInt8>, mask: Volume<UInt8>? = nil) {
        self.name = name; self.role = role; self.labels = labels; self.mask = mask
    }
}

/// Per-class probabilities, channels first: (classes, z, y, x).
public struct ProbabilitySource: Sendable {
    /// The source's name in the study file.
    public var name: String
    /// Number of class channels.
    public var classes: Int
    /// The spatial extent of each channel.
    public var shape: Shape3
    /// `classes × shape.count` probabilities, one channel after another.
    public var data: [Float]
    /// A source from channels-first probabilities; `data` must hold `classes × shape.count` values.
    public init(name: String, classes: Int, shape: Shape3, data: [Float]) {
        precondition(data.count == classes * shape.count)
        self.name = name; self.classes = classes; self.shape = shape; self.data = data
    }
}

/// An EM image with the label and probability sources that describe it.
public struct Study: Sendable {
    /// The EM image.
    public var image: Volume<Float>
    /// Voxel size in nanometres (z, y, x), when known.
    public var resolutionNM: [Double]?
    /// Label sources, each the image's shape.
    public var labels: [LabelSource]
    /// Probability sources.
    public var probabilities: [ProbabilitySource]
    /// The classes the labels use.
    public var schema: LabelSchema

    /// A study of `image` with the given sources; the paper's platelet schema unless told otherwise.
    public init(image: Volume<Float>, resolutionNM: [Double]? = nil, labels: [LabelSource] = [],
                probabilities: [ProbabilitySource] = [], schema: LabelSchema = .platelet) {
        self.image = image; self.resolutionNM = resolutionNM; self.labels = labels
        self.probabilities = probabilities; self.schema = schema
    }

    /// The image's extent, which every label source shares.
    public var shape: Shape3 { image.shape }

    /// The label source called `name`, if any.
    public func source(named name: String) -> LabelSource? { labels.first { $0.name == name } }
}
