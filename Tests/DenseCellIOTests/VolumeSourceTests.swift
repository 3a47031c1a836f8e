import XCTest
import DenseCellCore
@testable import DenseCellIO

/// Opened volumes: boxes read on demand equal the same boxes cut from a whole read, for every
/// format; huge, empty and non-finite datasets are refused with one-line reasons; streaming
/// metrics read every voxel once, in slabs, and agree with the in-memory metrics.
final class VolumeSourceTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-source-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    let boxes = [Box3(z: 0..<5, y: 0..<32, x: 0..<40), Box3(z: 1..<3, y: 5..<17, x: 9..<40), Box3(z: 4..<5, y: 31..<32, x: 0..<1)]

    func uint8(_ v: AnyVolume) -> Volume<UInt8>? { if case .uint8(let x) = v { return x }; return nil }
    func uint16(_ v: AnyVolume) -> Volume<UInt16>? { if case .uint16(let x) = v { return x }; return nil }

    func testHDF5BoxesAreHyperslabsOfTheWholeDataset() throws {
        for dataset in ["/uint8_gzip", "/uint16_gzip", "/int32_plain", "/float16", "/ilastik_zyxc", "/labels/truth"] {
            let ref = try VolumeReference.parse(fixtures + "/h5py-dtypes.h5:" + dataset)
            let whole = try VolumeReader.read(ref).asDouble()
            let source = try VolumeReader.open(ref)
            XCTAssertEqual(source.shape, Shape3(5, 32, 40), dataset)
            for box in boxes {
                XCTAssertEqual(try source.read(box).asDouble(), whole.extract(box), "\(dataset) \(box)")
            }
        }
        let gzip = try VolumeReader.open(try VolumeReference.parse(fixtures + "/h5py-dtypes.h5:/uint8_gzip"))
        XCTAssertEqual(gzip.storage, "chunks 2×16×16, gzip 4")
        XCTAssertEqual(gzip.zGrain, 2)
        XCTAssertEqual(gzip.typeName, "uint8")
        // The chunk cache holds one layer of chunks across the plane (2×3 chunks of 512 bytes), at least 1 MiB.
        XCTAssertEqual((gzip as? HDF5Volume)?.dataset.chunkCacheBytes, 1 << 20)
        let squeezed = try VolumeReader.open(try VolumeReference.parse(fixtures + "/h5py-dtypes.h5:/ilastik_zyxc"))
        XCTAssertEqual((squeezed as? HDF5Volume)?.axisMap, [0, 1, 2, nil])
        XCTAssertEqual(VolumeReader.axisMap(dims: [32, 40]), [1, 2])
        XCTAssertEqual(VolumeReader.axisMap(dims: [1, 5, 1, 32, 40, 1]), [nil, 0, nil, 1, 2, nil])
    }

    func testTIFFPagesAndPNGSlicesReadOnDemand() throws {
        let shape = Shape3(4, 9, 7)
        let v16 = Volume(shape: shape, data: (0..<shape.count).map { UInt16($0 * 37 % 65000) })
        try TIFFStack.write(.uint16(v16), path: dir + "/s.tif")
        let tiff = try VolumeReader.open(try VolumeReference.parse(dir + "/s.tif"))
        XCTAssertEqual(tiff.shape, shape)
        XCTAssertEqual(tiff.typeName, "uint16")
        XCTAssertEqual(tiff.storage, "multipage TIFF")
        try FileManager.default.createDirectory(atPath: dir + "/png", withIntermediateDirectories: true)
        let v8 = Volume(shape: shape, data: (0..<shape.count).map { UInt8($0 * 13 % 256) })
        for z in 0..<shape.z {
            try PNGImage(width: shape.x, height: shape.y, channels: 1, pixels: Array(v8.plane(z))).write(path: dir + "/png/s\(z + 1).png")
        }
        let png = try VolumeReader.open(try VolumeReference.parse(dir + "/png"))
        XCTAssertEqual(png.shape, shape)
        for box in [Box3(shape: shape), Box3(z: 1..<3, y: 2..<9, x: 3..<6), Box3(z: 3..<4, y: 0..<1, x: 6..<7)] {
            XCTAssertEqual(uint16(try tiff.read(box)), v16.extract(box), "\(box)")
            XCTAssertEqual(uint8(try png.read(box)), v8.extract(box), "\(box)")
        }
    }

    func testHugeEmptyAndNonFiniteDatasetsAreRefused() throws {
        let path = fixtures + "/h5py-huge.h5"
        let huge = try VolumeReader.open(try VolumeReference.parse(path + ":/image"))
        XCTAssertEqual(huge.shape, Shape3(100_000, 100_000, 100_000))
        XCTAssertEqual(huge.storage, "chunks 1×256×256, gzip 4")
        XCTAssertThrowsError(try ReadBudget.slabDepth([huge], bytesPerVoxel: [1])) { error in
            let e = error as! IOError
            XCTAssertEqual(e.kind, .tooLarge)
            XCTAssertTrue(e.description.hasPrefix(path + ":/image: one z-plane of 100000×100000 voxels needs 9.3 GiB, more than"), e.description)
        }
        // A small box of it reads (as the fill value: nothing was ever written).
        XCTAssertEqual(uint8(try huge.read(Box3(z: 99_999..<100_000, y: 0..<2, x: 0..<3)))?.data, [UInt8](repeating: 0, count: 6))
        XCTAssertThrowsError(try VolumeReader.open(try VolumeReference.parse(path + ":/empty"))) { error in
            XCTAssertEqual("\(error)", path + ":/empty: empty dataset (shape 0×32×32)")
        }
        let nan = try VolumeReader.open(try VolumeReference.parse(path + ":/nan_image"))
        XCTAssertEqual(try nan.readImage(Box3(z: 0..<1, y: 0..<4, x: 0..<4)).data, (0..<16).map(Float.init), "the finite slice reads")
        XCTAssertThrowsError(try nan.readImage(nan.bounds)) { error in
            XCTAssertEqual((error as! IOError).kind, .badValues)
            XCTAssertEqual("\(error)", path + ":/nan_image: the image holds NaN at (z 1, y 2, x 3); images must be finite numbers")
        }
        let inf = try VolumeReader.open(try VolumeReference.parse(path + ":/inf_image"))
        XCTAssertThrowsError(try inf.readImage(Box3(z: 0..<2, y: 1..<3, x: 0..<4))) { error in
            XCTAssertTrue("\(error)".hasSuffix("holds infinity at (z 0, y 1, x 1); images must be finite numbers"), "\(error)")
        }
    }

    func testStudySlicesReadOnlyTheSlicesAskedForAndTheWholeImageWindow() throws {
        // 600k voxels: displayRange samples every 2nd, across slabs of 3 slices.
        let shape = Shape3(10, 300, 200)
        let image = Volume(shape: shape, data: (0..<shape.count).map { Float(($0 &* 2654435761) % 1000) })
        let truth = Volume(shape: shape, data: (0..<shape.count).map { UInt8($0 % 7) })
        let path = dir + "/s.h5"
        let writer = try StudyWriter(path: path, shape: shape, existing: .replace)
        try writer.writeImage(image, resolutionNM: [50, 20, 20])
        try writer.writeLabels(LabelSource(name: "truth", role: .truth, labels: truth))
        try writer.commit()
        let f = try HDF5File(path: path)
        let counted = CountingSource(try VolumeReader.open(f, "/image"))
        let study = try OpenedStudy.open(study: path, schema: .platelet)
        XCTAssertEqual(study.labels.map(\.name), ["truth"])
        XCTAssertEqual(study.resolutionNM, [50, 20, 20])
        let labels = CountingSource(study.labels[0].labels)
        let opened = try OpenedStudy(image: counted, resolutionNM: [50, 20, 20], schema: .platelet,
                                     labels: [StudyLabels(name: "truth", role: .truth, labels: labels)])
        let part = try opened.slices(4..<6)
        XCTAssertEqual(part.image, image.extract(counted.slab(4..<6)))
        XCTAssertEqual(part.labels[0].labels, truth.extract(counted.slab(4..<6)))
        XCTAssertEqual(counted.reads.map(\.z) + labels.reads.map(\.z), [4..<6, 4..<6], "only the slices asked for")
        counted.reads = []
        let window = try counted.displayRange(slabBytes: 3 * shape.planeCount * 8)   // float32 read and kept
        XCTAssertEqual(window.lo, Overlay.displayRange(image).lo)
        XCTAssertEqual(window.hi, Overlay.displayRange(image).hi)
        XCTAssertEqual(counted.reads.map(\.z.count), [3, 3, 3, 1])
    }

    /// Forwards to a real source and records every box read.
    final class CountingSource: VolumeSource {
        let inner: VolumeSource
        var reads: [Box3] = []
        init(_ inner: VolumeSource) { self.inner = inner }
        var reference: VolumeReference { inner.reference }
        var shape: Shape3 { inner.shape }
        var typeName: String { inner.typeName }
        var readBytesPerVoxel: Int { inner.readBytesPerVoxel }
        var storage: String { inner.storage }
        var zGrain: Int { inner.zGrain }
        func read(_ box: Box3) throws(IOError) -> AnyVolume { reads.append(box); return try inner.read(box) }
        /// Voxels read, by how many times each was read.
        func coverage() -> [Int: Int] {
            var times = [Int](repeating: 0, count: shape.count)
            for b in reads { for z in b.z { for y in b.y { for x in b.x { times[(z * shape.y + y) * shape.x + x] += 1 } } } }
            return Dictionary(grouping: times, by: { $0 }).mapValues(\.count)
        }
    }

    func testStreamingMetricsReadEveryVoxelOnceInSlabs() throws {
        let shape = Shape3(23, 40, 30)
        var rng = SplitMix64(seed: 11)
        func labels() -> Volume<UInt8> { Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.next() % 7) }) }
        let truth = labels(), a1 = labels(), a2 = labels()
        let region = Volume(shape: shape, data: (0..<shape.count).map { UInt8(($0 / 7) % 3 == 0 ? 0 : 1) })
        let cell = Volume(shape: shape, data: (0..<shape.count).map { UInt8($0 % 5 == 0 ? 0 : 1) })
        let path = dir + "/s.h5"
        let f = try HDF5File(path: path, mode: .truncate)
        for (name, v) in [("/labels/truth", truth), ("/labels/annotator-1", a1), ("/labels/annotator-2", a2), ("/masks/region", region), ("/cell", cell)] {
            try f.writeArray(name, dims: [shape.z, shape.y, shape.x], data: v.data, memoryType: .uint8, chunks: [3, 16, 16])
        }
        try f.setAttribute("/labels/annotator-2", "mask", .string("/masks/region"))
        try f.flush()

        let names = ["truth", "annotator-1", "annotator-2"]
        let study = try OpenedStudy.open(study: path, schema: .platelet, needsImage: false)
        let opened = try names.map { try study.source($0) }
        let counters = opened.map { CountingSource($0.labels) }
        let maskCounter = CountingSource(opened[2].mask!)
        let cellCounter = CountingSource(try VolumeReader.open(f, "/cell"))
        let streams = zip(names, counters).map { StudyLabels(name: $0, role: .annotator, labels: $1) }
        var withMask = streams
        withMask[2].mask = maskCounter
        // Three planes of three labels, the mask and the cell mask (read type + uint8 each): slabs of 3 slices.
        let budget = 3 * shape.planeCount * 2 * 5
        var progress: [Int] = []
        let result = try StreamingMetrics.compare(withMask, pair: (withMask[0], withMask[2]), cellMask: cellCounter,
                                                  schema: .platelet, slabBytes: budget) { done, _ in progress.append(done) }
        for counter in counters + [maskCounter, cellCounter] {
            XCTAssertEqual(counter.coverage(), [1: shape.count], "every voxel read exactly once")
            XCTAssertTrue(counter.reads.allSatisfy { $0.y == 0..<shape.y && $0.x == 0..<shape.x && $0.z.count <= 3 }, "\(counter.reads)")
            XCTAssertEqual(counter.reads.map(\.z.lowerBound), Array(stride(from: 0, to: shape.z, by: 3)), "slabs in z order")
        }
        XCTAssertEqual(progress, [3, 6, 9, 12, 15, 18, 21, 23])

        // The same numbers as the in-memory metrics over whole volumes.
        let sources = [LabelSource(name: "truth", role: .truth, labels: truth), LabelSource(name: "annotator-1", role: .annotator, labels: a1),
                       LabelSource(name: "annotator-2", role: .annotator, labels: a2, mask: region)]
        let expected = Metrics.pairwise(sources, schema: .platelet)
        XCTAssertEqual(result.pairwise.miouOrg, expected.miouOrg)
        XCTAssertEqual(result.pairwise.miouAll, expected.miouAll)
        for (k, s) in sources.enumerated() {
            XCTAssertEqual(result.fractions[k], Metrics.volumeFractions(s.labels, schema: .platelet, cellMask: cell, masks: [s.mask].compactMap { $0 }))
        }
        XCTAssertEqual(result.pairConfusion, Metrics.confusion(truth: truth, prediction: a2, classes: 7, masks: [region]))

        // evaluate: the same single pass, with --mask joining both sources' masks.
        for c in counters + [maskCounter, cellCounter] { c.reads = [] }
        let e = try StreamingMetrics.evaluate(truth: withMask[0], prediction: withMask[2], masks: [cellCounter], schema: .platelet,
                                              slabBytes: 2 * shape.planeCount * 2 * 4)
        XCTAssertEqual(e.confusion, Metrics.confusion(truth: truth, prediction: a2, classes: 7, masks: [region, cell]))
        XCTAssertEqual(e.fractions[1], Metrics.volumeFractions(a2, schema: .platelet, masks: [region, cell]))
        for counter in [counters[0], counters[2], maskCounter, cellCounter] {
            XCTAssertEqual(counter.coverage(), [1: shape.count])
            XCTAssertTrue(counter.reads.allSatisfy { $0.z.count <= 2 })
        }
        XCTAssertTrue(counters[1].reads.isEmpty, "a source not asked for is not read")
    }

    func testBoxesReadAsChunksEqualHDF5sOwnReading() throws {
        // Chunks that do not divide the shape (edge chunks), with and without shuffle.
        let shape = Shape3(10, 150, 130)
        var rng = SystemRandomNumberGenerator()
        let data = (0..<shape.count).map { i in UInt8(truncatingIfNeeded: (i / 7) % 5 == 0 ? Int(rng.next() % 256) : i % 11) }
        let path = dir + "/chunks.h5"
        let file = try HDF5File(path: path, mode: .truncate)
        try file.writeArray("/shuffled", dims: [10, 150, 130], data: data, memoryType: .uint8, chunks: [4, 64, 48], gzip: 1)
        try file.createDataset("/plain", dims: [10, 150, 130], fileType: .uint8, chunks: [3, 50, 64], gzip: 6)
        try file.writeSlab("/plain", start: [0, 0, 0], count: [10, 150, 130], data: data, memoryType: .uint8)
        try file.createDataset("/sparse", dims: [10, 150, 130], fileType: .uint8, chunks: [4, 64, 64], gzip: 1)
        try file.writeSlab("/sparse", start: [0, 0, 0], count: [4, 64, 64], data: [UInt8](repeating: 3, count: 4 * 64 * 64), memoryType: .uint8)
        try file.flush()
        /// The box's voxels cut out of `data` directly.
        func expected(_ b: Box3) -> [UInt8] {
            var out: [UInt8] = []
            for z in b.z {
                for y in b.y {
                    let row: Int = (z * shape.y + y) * shape.x
                    out += data[(row + b.x.lowerBound)..<(row + b.x.upperBound)]
                }
            }
            return out
        }
        for name in ["/shuffled", "/plain"] {
            let v = try VolumeReader.open(file, name) as! HDF5Volume
            for z in 0..<shape.z {
                let slab = v.slab(z..<(z + 1))
                let direct = try XCTUnwrap(v.boxFromChunks(slab), "\(name) z \(z)")
                XCTAssertEqual(direct, expected(slab), "\(name) z \(z)")
                // And what HDF5 itself reads of it.
                let (start, count) = v.hyperslab(slab)
                XCTAssertEqual(try v.dataset.read(start: start, count: count, as: .uint8, of: UInt8.self), direct)
            }
            // Slabs across chunk layers, bands of xz and yz planes, boxes inside and across chunks.
            let boxes = [0..<10, 2..<7, 5..<6, 3..<9].map { Box3(z: $0, y: 0..<150, x: 0..<130) } + [
                Box3(z: 0..<10, y: 60..<70, x: 0..<130), Box3(z: 0..<10, y: 149..<150, x: 0..<130),
                Box3(z: 0..<10, y: 0..<150, x: 47..<49), Box3(z: 3..<4, y: 10..<11, x: 100..<130),
                Box3(z: 1..<9, y: 33..<117, x: 5..<111),
            ]
            for b in boxes { XCTAssertEqual(v.boxFromChunks(b), expected(b), "\(name) \(b)") }
        }
        // Chunks never written are left to HDF5 (its fill value), and the plane still reads.
        let sparse = try VolumeReader.open(file, "/sparse") as! HDF5Volume
        XCTAssertNil(sparse.boxFromChunks(sparse.slab(0..<1)))
        let plane = try XCTUnwrap(uint8(try sparse.read(sparse.slab(0..<1))))
        XCTAssertEqual(plane[0, 10, 10], 3)
        XCTAssertEqual(plane[0, 100, 100], 0)
    }
}
