import DenseCellCore
import DenseCellIO
@testable import DenseCellTUI
import XCTest

/// The viewer reads labels through the schema's listed values: a study numbered 10, 20, 30, …
/// shows exactly what the same labels stored as class indices show.
final class LabelValuesViewerTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-label-values-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The platelet classes, each read from the value (class + 1) × 10.
    static let numbered = LabelSchema(classes: LabelSchema.platelet.classes.enumerated().map { c, cls in
        LabelSchema.Class(name: cls.name, color: cls.color, values: [Int64(c + 1) * 10])
    }, organelles: LabelSchema.platelet.organelles)

    /// A study file written as a user's tool would: the image and labels with `value` applied, no densecell attributes.
    func write(_ study: Study, path: String, value: (UInt8) -> UInt8) throws {
        let file = try HDF5File(path: path, mode: .truncate)
        let s = study.shape, dims = [s.z, s.y, s.x]
        try file.writeArray("/image", dims: dims, data: study.image.data, memoryType: .float32)
        for source in study.labels {
            try file.writeArray("/labels/" + source.name, dims: dims, data: source.labels.data.map(value), memoryType: .uint8)
        }
        try file.flush()
    }

    func session(_ path: String, schema: LabelSchema) throws -> ViewerSession {
        let opened = try OpenedStudy.open(study: path, schema: schema, select: ["truth", "annotator-1", "annotator-2"])
        let s = try ViewerSession(study: opened, fileName: "s.h5", provider: nil, cachePath: nil)
        s.send(.resize(cols: 120, rows: 40))
        return s
    }

    func testARenumberedStudyShowsAndCountsWhatClassIndicesShow() throws {
        let study = TestStudies.make(shape: Shape3(6, 48, 64))
        try write(study, path: dir + "/indices.h5") { $0 }
        try write(study, path: dir + "/numbered.h5") { ($0 + 1) * 10 }
        let indices = try session(dir + "/indices.h5", schema: .platelet)
        defer { indices.close() }
        let numbered = try session(dir + "/numbered.h5", schema: Self.numbered)
        defer { numbered.close() }

        // The planes the panes draw are the classes, not the stored values.
        XCTAssertEqual(numbered.data.sourceVolumes.map(\.labels), study.labels.map(\.labels))
        for s in [indices, numbered] { s.send(.nextSlice); s.send(.nextSlice); s.send(.zoomIn); s.settle() }
        XCTAssertEqual(numbered.frame(), indices.frame())
        // The background pass counts classes too.
        XCTAssertEqual(numbered.data.statistics.confusion(0, 2, z: nil),
                       Metrics.confusion(truth: study.labels[0].labels, prediction: study.labels[2].labels, classes: 7))

        // Read as class indices, the numbered study is outside the schema: the mapping is what made it readable.
        XCTAssertThrowsError(try session(dir + "/numbered.h5", schema: .platelet)) { error in
            XCTAssertTrue("\(error)".contains("label value 10 is outside the schema"), "\(error)")
        }
    }
}
