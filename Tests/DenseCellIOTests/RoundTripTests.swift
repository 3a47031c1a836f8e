import XCTest
import DenseCellCore
@testable import DenseCellIO

final class RoundTripTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-io-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testEveryWritableDtypeRoundTrips() throws {
        let shape = Shape3(3, 17, 23)
        let path = dir + "/rt.h5"
        let u8 = (0..<shape.count).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let u16 = (0..<shape.count).map { UInt16(truncatingIfNeeded: $0 * 613) }
        let i32 = (0..<shape.count).map { Int32($0) * -3 + 11 }
        let f32 = (0..<shape.count).map { Float($0) * 0.37 - 5 }
        let f16src = (0..<shape.count).map { Float($0 % 97) * 0.25 }   // exact in half precision
        let dims = [shape.z, shape.y, shape.x]
        do {
            let f = try HDF5File(path: path, mode: .truncate)
            try f.writeArray("/a/u8", dims: dims, data: u8, memoryType: .uint8, chunks: [1, 8, 8], gzip: 1)
            try f.writeArray("/a/u16", dims: dims, data: u16, memoryType: .uint16, chunks: [2, 16, 16], gzip: 4)
            try f.writeArray("/b/i32", dims: dims, data: i32, memoryType: .int32)
            try f.writeArray("/b/f32", dims: dims, data: f32, memoryType: .float32, chunks: [3, 17, 23])
            try f.writeArray("/b/f16", dims: dims, data: f16src, memoryType: .float32, fileType: .float16, chunks: [1, 17, 23])
            try f.setAttribute("/a/u8", "role", .string("annotator"))
            try f.setAttribute("/a/u8", "names", .strings(["cell", "mitochondrion"]))
            try f.setAttribute("/b/f32", "ints", .ints([3, 5]))
            try f.setAttribute("/b/f32", "doubles", .doubles([0.5, -2]))
        }
        let f = try HDF5File(path: path)
        XCTAssertEqual(try f.readArray("/a/u8", as: .uint8, of: UInt8.self).data, u8)
        XCTAssertEqual(try f.readArray("/a/u16", as: .uint16, of: UInt16.self).data, u16)
        XCTAssertEqual(try f.readArray("/b/i32", as: .int32, of: Int32.self).data, i32)
        XCTAssertEqual(try f.readArray("/b/f32", as: .float32, of: Float.self).data, f32)
        XCTAssertEqual(try f.readArray("/b/f16", as: .float32, of: Float.self).data, f16src)
        XCTAssertEqual(try f.info("/b/f16").typeName, "float16")
        XCTAssertEqual(try f.info("/a/u16").chunks, [2, 16, 16])
        XCTAssertEqual(f.attribute("/a/u8", "role"), .string("annotator"))
        XCTAssertEqual(f.attribute("/a/u8", "names"), .strings(["cell", "mitochondrion"]))
        XCTAssertEqual(f.attribute("/b/f32", "ints"), .ints([3, 5]))
        XCTAssertEqual(f.attribute("/b/f32", "doubles"), .doubles([0.5, -2]))
        // A hyperslab read returns exactly the slab.
        let slab = try VolumeReader.readSlab(f, "/b/f32", z: 1..<3)
        XCTAssertEqual(slab.data, Array(f32[(shape.planeCount)...]))
    }

    /// Probabilities stored as float16 round to the nearest half value, also right after a value
    /// that becomes subnormal (HDF5 1.10's own conversion stores 0.9998 there as 0.5).
    func testFloat16WritesRoundToNearestAfterSubnormals() throws {
        let values: [Float] = [1e-5, 0.9998, 2e-6, 0.03124321, 1e-7, 0.99985385, 0.3, 0.9997562, 6e-5, 1.0000002, 0, 0.49999]
        let want = values.map { Float(Float16($0)) }
        XCTAssertEqual(want[1], 1); XCTAssertEqual(want[3], 0.03125)
        let path = dir + "/half.h5"
        do {
            let f = try HDF5File(path: path, mode: .truncate)
            try f.writeArray("/whole", dims: [values.count], data: values, memoryType: .float32, fileType: .float16)
            try f.createDataset("/slab", dims: [2, values.count], fileType: .float16, chunks: [1, 4])
            try f.writeSlab("/slab", start: [1, 0], count: [1, values.count], data: values, memoryType: .float32)
        }
        let f = try HDF5File(path: path)
        XCTAssertEqual(try f.readArray("/whole", as: .float32, of: Float.self).data, want)
        XCTAssertEqual(try f.readArray("/slab", as: .float32, of: Float.self).data, [Float](repeating: 0, count: values.count) + want)
    }

    func testStudyRoundTripAndIndependentReader() throws {
        let shape = Shape3(4, 12, 10)
        let image = Volume(shape: shape, data: (0..<shape.count).map { Float($0 % 256) })
        let truth = Volume(shape: shape, data: (0..<shape.count).map { UInt8($0 % 7) })
        let mask = Volume(shape: shape, data: (0..<shape.count).map { UInt8($0 % 3 == 0 ? 0 : 1) })
        let probs = ProbabilitySource(name: "ens", classes: 2, shape: shape,
                                      data: (0..<(2 * shape.count)).map { Float($0 % 5) * 0.25 })
        let study = Study(image: image, resolutionNM: [50, 20, 20],
                          labels: [LabelSource(name: "truth", role: .truth, labels: truth),
                                   LabelSource(name: "annotator-1", role: .annotator, labels: truth, mask: mask)],
                          probabilities: [probs])
        let path = dir + "/study.h5"
        try StudyFile.write(study, path: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["study.h5"], "no temporary left behind")
        let back = try StudyFile.read(path: path)
        XCTAssertEqual(back.image, image)
        XCTAssertEqual(back.resolutionNM, [50, 20, 20])
        XCTAssertEqual(back.labels.map(\.name), ["annotator-1", "truth"])
        XCTAssertEqual(back.source(named: "truth")?.labels, truth)
        XCTAssertEqual(back.source(named: "truth")?.role, .truth)
        XCTAssertEqual(back.source(named: "annotator-1")?.mask, mask)
        XCTAssertEqual(back.probabilities.first?.data, probs.data)

        // h5dump (HDF5's own tool) agrees on the layout.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/h5dump")
        p.arguments = ["-H", path]
        let pipe = Pipe(); p.standardOutput = pipe
        try p.run(); p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("DATASET \"truth\""))
        XCTAssertTrue(text.contains("H5T_STD_U8LE"))
        XCTAssertTrue(text.contains("( 2, 4, 12, 10 )"))
    }

    func testFailedWriteLeavesNothing() throws {
        let path = dir + "/out.h5"
        XCTAssertThrowsError(try AtomicFile.write(to: path) { (tmp: String) throws(IOError) in
            let f = try HDF5File(path: tmp, mode: .truncate)
            try f.writeArray("/x", dims: [1, 2, 2], data: [UInt8](repeating: 1, count: 4), memoryType: .uint8)
            throw IOError(.writeFailed, file: path, "simulated failure")
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testTiffRoundTrip() throws {
        let shape = Shape3(3, 9, 11)
        let v = Volume(shape: shape, data: (0..<shape.count).map { UInt16($0 * 101) })
        let path = dir + "/s.tif"
        try TIFFStack.write(.uint16(v), path: path)
        guard case .uint16(let back) = try TIFFStack.read(path: path) else { return XCTFail() }
        XCTAssertEqual(back, v)
    }

    func testPNGRoundTripAndStack() throws {
        let img = PNGImage(width: 5, height: 3, channels: 3, pixels: (0..<45).map { UInt8($0 * 5) })
        try img.write(path: dir + "/rgb.png")
        XCTAssertEqual(try PNGImage.read(path: dir + "/rgb.png"), img)
        let slices = dir + "/slices"
        try FileManager.default.createDirectory(atPath: slices, withIntermediateDirectories: true)
        // Name order is natural: z2 before z10.
        for (z, name) in ["s2.png", "s10.png"].enumerated() {
            try PNGImage(width: 4, height: 2, channels: 1, pixels: (0..<8).map { UInt8($0 + z * 10) }).write(path: slices + "/" + name)
        }
        guard case .uint8(let v) = try VolumeReader.read(try VolumeReference.parse(slices)) else { return XCTFail() }
        XCTAssertEqual(v.shape, Shape3(2, 2, 4))
        XCTAssertEqual(v.data, (0..<8).map { UInt8($0) } + (0..<8).map { UInt8($0 + 10) })
    }

    func testBinning() {
        let v = Volume(shape: Shape3(1, 2, 4), data: [Float(1), 3, 5, 7, 3, 5, 7, 9])
        XCTAssertEqual(Binning.mean(v, Shape3(1, 2, 2)).data, [3, 7])
        let l = Volume(shape: Shape3(1, 2, 4), data: [UInt8(1), 2, 4, 4, 2, 2, 3, 4])
        XCTAssertEqual(Binning.mode(l, Shape3(1, 2, 2)).data, [2, 4])
        // Ties go to the smaller class.
        let t = Volume(shape: Shape3(1, 2, 2), data: [UInt8(5), 3, 3, 5])
        XCTAssertEqual(Binning.mode(t, Shape3(1, 2, 2)).data, [3])
    }
}
