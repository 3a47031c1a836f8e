import DenseCellCore
import DenseCellIO

/// The readers of a study as the viewer opens it: the image and every label source (labels and
/// mask), reference first. The one place the viewer takes a study's readers from: `StudySlices`
/// (a study on disk, opened by the command) or a `Study` in memory (tests, the demo).
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
        let rank: [SourceRole: Int] = [.truth: 0, .annotator: 1, .algorithm: 2]
        self.sources = sources.enumerated().sorted { (rank[$0.element.role] ?? 3, $0.offset) < (rank[$1.element.role] ?? 3, $1.offset) }.map(\.element)
    }

    init(_ slices: StudySlices) {
        self.init(image: slices.image, schema: slices.schema, resolutionNM: slices.resolutionNM,
                  sources: slices.sources.map { ($0.name, $0.role, $0.labels, $0.mask) })
    }

    /// A study held in memory, read through memory readers named like the file's datasets.
    init(_ study: Study, fileName: String) {
        self.init(image: MemoryVolume(.float32(study.image), name: fileName + ":/image"), schema: study.schema,
                  resolutionNM: study.resolutionNM,
                  sources: study.labels.map { s in
                      (s.name, s.role, MemoryVolume(.uint8(s.labels), name: "\(fileName):/labels/\(s.name)") as VolumeSource,
                       s.mask.map { MemoryVolume(.uint8($0), name: "\(fileName):/masks/\(s.name)") as VolumeSource })
                  })
    }

    /// Whether every volume is in memory (counted at once, nothing kept in the cache file).
    var inMemory: Bool { image.isInMemory && sources.allSatisfy { $0.labels.isInMemory && ($0.mask?.isInMemory ?? true) } }

    /// The slice (z..<z+1) of the image and every source at full resolution: for figure export.
    func sliceStudy(z: Int) throws(IOError) -> Study {
        let box = image.slab(z..<(z + 1))
        var labels: [LabelSource] = []
        for s in sources {
            labels.append(LabelSource(name: s.name, role: s.role, labels: try s.labels.readLabels(box, classCount: schema.count),
                                      mask: try s.mask.map { (m: VolumeSource) throws(IOError) in try m.readMask(box) }))
        }
        var study = Study(image: try image.readImage(box), labels: labels, schema: schema)
        study.resolutionNM = resolutionNM
        return study
    }
}
