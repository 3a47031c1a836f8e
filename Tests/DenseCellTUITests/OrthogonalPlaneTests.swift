// The viewer's xz and yz planes: what they read, what they show, and the keys that move in them.
import DenseCellCore
@testable import DenseCellIO
@testable import DenseCellTUI
import XCTest

/// A volume stored in blocks (like HDF5 or Zarr chunks) that records the boxes read.
final class BlockVolume: VolumeSource, @unchecked Sendable {
    let inner: MemoryVolume
    let blockExtent: Shape3?
    private let lock = NSLock()
    private var boxes: [Box3] = []
    init(_ volume: AnyVolume, name: String, blocks: Shape3) { inner = MemoryVolume(volume, name: name); blockExtent = blocks }
    var reference: VolumeReference { inner.reference }
    var shape: Shape3 { inner.shape }
    var typeName: String { inner.typeName }
    var readBytesPerVoxel: Int { inner.readBytesPerVoxel }
    var storage: String { "blocks" }
    var zGrain: Int { blockExtent!.z }
    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        lock.lock(); boxes.append(box); lock.unlock()
        return try inner.read(box)
    }
    var reads: [Box3] { lock.lock(); defer { lock.unlock() }; return boxes }
    func forget() { lock.lock(); boxes = []; lock.unlock() }
}

final class OrthogonalPlaneTests: XCTestCase {
    let shape = Shape3(12, 40, 56)
    let blocks = Shape3(4, 16, 16)

    func session(resolution: [Double]? = [50, 20, 20], cacheBytes: Int = 64 << 20) throws -> (ViewerSession, Study, BlockVolume, [BlockVolume]) {
        let study = TestStudies.make(shape: shape)
        let image = BlockVolume(.float32(study.image), name: "study.h5:/image", blocks: blocks)
        let labels = study.labels.map { BlockVolume(.uint8($0.labels), name: "study.h5:/labels/\($0.name)", blocks: blocks) }
        let s = try ViewerSession(image: image, sources: zip(study.labels, labels).map { ($0.name, $0.role, $1, nil) },
                                  schema: study.schema, resolutionNM: resolution, fileName: "study.h5", provider: nil, cachePath: nil,
                                  cacheBytes: cacheBytes, studyPath: nil, exportDirectory: NSTemporaryDirectory(),
                                  withoutModels: ViewerSession.noModels)
        s.send(.resize(cols: 160, rows: 48))
        return (s, study, image, labels)
    }

    func testPlaneCoordinatesRoundTripAndPlanesAreCutFromBlocks() {
        let s = Shape3(3, 4, 5)
        let values = (0..<s.count).map { $0 }
        for axis in PlaneAxis.allCases {
            let size = axis.size(s)
            for index in 0..<axis.depth(s) {
                let box = axis.box(s, index: max(0, index - 1), count: min(2, axis.depth(s) - max(0, index - 1)))
                let plane = axis.extract(values.filter { v in
                    let z = v / 20, y = v / 5 % 4, x = v % 5
                    return box.z.contains(z) && box.y.contains(y) && box.x.contains(x)
                }, box: box, index: index)
                XCTAssertEqual(plane.count, size.rows * size.columns)
                let all = axis.planes(values.filter { v in
                    let z = v / 20, y = v / 5 % 4, x = v % 5
                    return box.z.contains(z) && box.y.contains(y) && box.x.contains(x)
                }, box: box)
                XCTAssertEqual(all[index - axis.ranges(box).normal.lowerBound], plane, "every plane at once, as one by one")
                for row in 0..<size.rows { for column in 0..<size.columns {
                    let v = axis.voxel(row: row, column: column, index: index)
                    XCTAssertEqual(plane[row * size.columns + column], (v.z * 4 + v.y) * 5 + v.x, "\(axis) \(index) (\(row), \(column))")
                    let back = axis.planeCoordinates(z: v.z, y: v.y, x: v.x)
                    XCTAssertEqual([back.row, back.column, back.index], [row, column, index])
                } }
            }
        }
    }

    func testOCyclesThePlanesAndTheReadoutMatchesTheVolume() throws {
        let (s, study, _, _) = try session()
        XCTAssertEqual(s.state.plane, .xy)
        s.send(.cyclePlane)
        XCTAssertEqual(s.state.plane, .xz)
        s.settle()
        let grid = s.frame()
        XCTAssertTrue(grid.text(row: 0).contains("xz y \(shape.y / 2)/\(shape.y)"), grid.text(row: 0))
        XCTAssertTrue(grid.text(row: 0).contains("z×2.5"), "the header says the planes are stretched: \(grid.text(row: 0))")
        // Every voxel of the xz plane through the cursor reads as the volume has it.
        let frame = s.prepareFrame()
        let y = s.state.cursor.y
        let truth = try XCTUnwrap(frame.sourceIndex("truth"))
        for z in 0..<shape.z { for x in stride(from: 0, to: shape.x, by: 3) {
            XCTAssertEqual(frame.imageValue(.xz, z: z, y: y, x: x), study.image[z, y, x])
            XCTAssertEqual(frame.label(truth, .xz, z: z, y: y, x: x), Int(study.labels[0].labels[z, y, x]))
        } }
        // j steps along y; the yz plane after it steps along x.
        s.send(.nextSlice)
        XCTAssertEqual(s.state.cursor.y, y + 1)
        XCTAssertEqual(s.state.z, 0, "z stays where it was")
        s.send(.cyclePlane)
        XCTAssertEqual(s.state.plane, .yz)
        let x = s.state.cursor.x
        s.send(.nextSlice); s.send(.nextSlice)
        XCTAssertEqual(s.state.cursor.x, x + 2)
        s.send(.lastSlice)
        XCTAssertEqual(s.state.cursor.x, shape.x - 1)
        s.settle()
        let yzFrame = s.prepareFrame()
        for z in 0..<shape.z { for yy in stride(from: 0, to: shape.y, by: 5) {
            XCTAssertEqual(yzFrame.imageValue(.yz, z: z, y: yy, x: shape.x - 1), study.image[z, yy, shape.x - 1])
        } }
        s.send(.cyclePlane)
        XCTAssertEqual(s.state.plane, .xy)
    }

    func testASidePlaneReadsOneBandOfWholeBlocksAndItsNeighboursComeFromIt() throws {
        let (s, _, image, labels) = try session()
        s.settle()
        image.forget(); labels.forEach { $0.forget() }
        s.send(.cyclePlane)
        s.send(.goToPlane(21))
        s.settle()
        // One band per volume: rows 16..<32 (the block holding y 21), all of x, read one z layer
        // of blocks at a time, each layer once.
        func sideReads(_ v: BlockVolume) -> [Box3] { v.reads.filter { $0.y.count < shape.y } }
        for v in [image] + labels {
            XCTAssertEqual(sideReads(v), stride(from: 0, to: shape.z, by: blocks.z).map {
                Box3(z: $0..<($0 + blocks.z), y: 16..<32, x: 0..<shape.x)
            }, "\(v.reference.path)")
        }
        // Stepping through the block reads nothing more.
        image.forget(); labels.forEach { $0.forget() }
        for _ in 0..<10 { s.send(.nextSlice); _ = s.frame() }
        s.settle()
        XCTAssertEqual(s.state.cursor.y, 31)
        XCTAssertEqual(sideReads(image).filter { $0.y.overlaps(16..<32) }, [], "planes 22…31 came with the first read")
        // Near its end, the next block is read ahead, once.
        XCTAssertEqual(sideReads(image), stride(from: 0, to: shape.z, by: blocks.z).map { Box3(z: $0..<($0 + blocks.z), y: 32..<40, x: 0..<shape.x) })
    }

    func testSidePlanesStayWithinTheCacheBound() throws {
        let bound = 1 << 20
        let (s, _, _, _) = try session(cacheBytes: bound)
        s.send(.cyclePlane)
        for y in stride(from: 0, to: shape.y, by: 3) {
            s.send(.goToPlane(y))
            _ = s.frame()
            s.settle()
            // The frame's pinned planes may exceed the bound by one frame's worth, nothing more.
            let planeBytes = shape.z * shape.x * 4 + 64
            XCTAssertLessThanOrEqual(s.data.planes.cache.bytes, bound + 10 * planeBytes)
        }
    }

    func testPlanesAreDrawnAtTheVoxelsAspect() throws {
        let (s, _, _, _) = try session(resolution: [50, 20, 20])
        s.send(.cyclePlane)
        var layout = Layout(s.state)
        XCTAssertEqual(layout.rowZoom(s.state, .xz), layout.zoom(s.state) * 2.5, accuracy: 1e-9)
        XCTAssertEqual(layout.rowZoom(s.state, .xy), layout.zoom(s.state), accuracy: 1e-9)
        // The whole plane fits: 12 slices of 50 nm are as tall as 30 columns of 20 nm.
        let pane = try XCTUnwrap(layout.panes.first)
        let size = layout.pixelSize(s.state, pane: pane)
        XCTAssertLessThanOrEqual(Double(shape.z) * layout.rowZoom(s.state, .xz), Double(size.height) + 1e-9)
        XCTAssertLessThanOrEqual(Double(shape.x) * layout.zoom(s.state), Double(size.width) + 1e-9)
        // Without a resolution, voxels are square and the header says so.
        let (square, _, _, _) = try session(resolution: nil)
        square.send(.cyclePlane)
        layout = Layout(square.state)
        XCTAssertEqual(layout.rowZoom(square.state, .xz), layout.zoom(square.state), accuracy: 1e-9)
        square.settle()
        XCTAssertTrue(square.frame().text(row: 0).contains("voxels"))
    }

    func testClickingInASidePlaneMovesTheCursorInZ() throws {
        let (s, _, _, _) = try session()
        s.send(.cyclePlane)
        let layout = Layout(s.state)
        let pane = try XCTUnwrap(layout.panes.first)
        var target: (row: Int, col: Int, point: PixelPoint)? = nil
        for r in pane.pixels.row..<(pane.pixels.row + pane.pixels.height) {
            for c in pane.pixels.col..<(pane.pixels.col + pane.pixels.width) {
                if let p = layout.planePoint(s.state, row: r, col: c)?.point, p.y == 9 { target = (r, c, p); break }
            }
            if target != nil { break }
        }
        let t = try XCTUnwrap(target, "a cell of row z 9")
        let y = s.state.cursor.y
        s.send(.click(row: t.row, col: t.col))
        XCTAssertEqual(s.state.z, 9)
        XCTAssertEqual(s.state.cursor.x, t.point.x)
        XCTAssertEqual(s.state.cursor.y, y, "the xz plane stays where it is")
    }

    func testThreePlanesShowOneSourceWithTheOtherPlanesCutLines() throws {
        let (s, _, _, _) = try session()
        s.send(.toggleThreePlanes)
        s.settle()
        let layout = Layout(s.state)
        XCTAssertEqual(layout.panes.map(\.axis), [.xy, .xz, .yz])
        XCTAssertEqual(Set(layout.panes.map(\.kind)), [.source(s.state.pair.a)])
        let grid = s.frame()
        let titles = layout.panes.map { grid.text(row: $0.title.row) }
        XCTAssertTrue(titles[0].contains("xy z \(s.state.z)"), titles[0])
        XCTAssertTrue(titles[0].contains("xz y \(s.state.cursor.y)"))
        // In the xy pane, the xz plane's cut is a row of its color through the cursor's y.
        let xy = layout.panes[0]
        let o = layout.origin(s.state, pane: xy)
        let py = Int(((Double(s.state.cursor.y) + 0.5 - o.y) * layout.rowZoom(s.state, .xy)).rounded(.down))
        let row = xy.pixels.row + py / 2
        let xzColor = PlaneCuts.color(.xz)
        let tinted = (xy.pixels.col..<(xy.pixels.col + xy.pixels.width)).filter { c in
            let cell = grid[row, c]
            let rgb = py % 2 == 0 ? cell.fg.rgb : cell.bg.rgb
            // Mostly the cut's color: within 30 % of the image's share of any channel.
            return abs(Int(rgb.r) - Int(xzColor.r)) <= 80 && abs(Int(rgb.g) - Int(xzColor.g)) <= 80 && abs(Int(rgb.b) - Int(xzColor.b)) <= 80
        }
        XCTAssertGreaterThan(tinted.count, xy.pixels.width * 8 / 10, "the cut runs across the pane")
        // Moving the cursor moves the cut: j in xy steps z, and the xz pane's cut row follows.
        s.send(.nextSlice)
        XCTAssertEqual(s.state.z, 1)
        s.send(.toggleThreePlanes)
        XCTAssertEqual(Layout(s.state).panes.map(\.axis).first, .xy)
    }

    func testTheReviewRegionIsOutlinedInEveryPlaneItCrosses() throws {
        let (s, _, _, _) = try session()
        let region = DisagreementRegion(id: 1, voxels: 40, box: Box3(z: 2..<6, y: 10..<20, x: 10..<22), centroid: (4, 15, 16),
                                        seed: (4, 15, 16), classPairs: [ClassPairCount(a: 2, b: 1, voxels: 40)])
        s.send(.toggleRegionMode)
        s.send(.setRegionQueue(RegionQueue(pair: s.state.pair, regions: [region])))
        s.send(.nextDisagreement)
        XCTAssertEqual(s.state.z, 4)
        XCTAssertEqual(s.state.cursor, PixelPoint(y: 15, x: 16))
        for axis in PlaneAxis.allCases {
            XCTAssertNotNil(ReviewOverlay.outlinedRegion(s.state, axis: axis), "the \(axis) plane through the centroid crosses the region")
        }
        s.send(.cyclePlane)
        s.send(.goToPlane(30))
        XCTAssertNil(ReviewOverlay.outlinedRegion(s.state, axis: .xz), "y 30 is outside the region")
    }
}
