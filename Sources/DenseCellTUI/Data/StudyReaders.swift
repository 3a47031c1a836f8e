import DenseCellCore
import DenseCellIO

/// The readers of a study as the viewer opens it: the image and every label source (labels and
/// mask), reference first. The one place the viewer takes a study's readers from: an `OpenedStudy`
/// (a study on disk, opened by the command) or a `Study` in memory (tests).
struct StudyReaders: @unchecked Sendable {
    /// The readers of one label source.
    typealias LabelReaders = (name: String, role: SourceRole, labels: VolumeSource, mask: VolumeSource?)
    var image: VolumeSource
    var schema: LabelSchema
    var resolutionNM: [Double]?
    var sources: [LabelReaders]

    /// Orders the sources: truth, then annotators, then algorithms (stable within a role).
    init(image: VolumeSource, schema: LabelSchema, resolutionNM: [Double]?, sources: [LabelReaders]) {
        self.image = image
        self.schema = schema
        self.resolutionNM = resolutionNM
        self.sources = SourceRole.ordered(sources) { $0.role }
    }

    init(_ study: OpenedStudy) {
        self.init(image: study.image!, schema: study.schema, resolutionNM: study.resolutionNM,
                  sources: study.labels.map { ($0.name, $0.role, $0.labels, $0.mask) })
    }

    /// A study held in memory, read through memory readers named like the file's datasets.
    init(_ study: Study, fileName: String) {
        self.init(image: MemoryVolume(.float32(study.image), name: fileName + ":/image"), schema: study.schema,
                  resolutionNM: study.resolutionNM,
                  sources: study.labels.map { s in
                      (s.name, s.role, MemoryVolume(.uint8(s.labels), name: "\(fileName):/labels/\(s.name)", holdsClassIndices: true) as VolumeSource,
                       s.mask.map { MemoryVolume(.uint8($0), name: "\(fileName):/masks/\(s.name)") as VolumeSource })
                  })
    }

    /// Whether every volume is in memory (counted at once, nothing kept in the cache file).
    var inMemory: Bool { image.isInMemory && sources.allSatisfy { $0.labels.isInMemory && ($0.mask?.isInMemory ?? true) } }

    /// Plane `index` of `axis` of the image and every source at full resolution, as a one-slice
    /// study: for figure export.
    func planeStudy(_ axis: PlaneAxis, at index: Int) throws(IOError) -> Study {
        let labels = sources.map { StudyLabels(name: $0.name, role: $0.role, labels: $0.labels, mask: $0.mask) }
        return try OpenedStudy(image: image, resolutionNM: resolutionNM, schema: schema, labels: labels).plane(axis, at: index)
    }
}
