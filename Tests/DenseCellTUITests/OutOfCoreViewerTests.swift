// The viewer on a study it reads on demand: what it reads, and how much it holds.
import DenseCellCore
import DenseCellIO
@testable import DenseCellTUI
import XCTest

/// A volume that behaves like a file (not in memory) and records every read with the thread
/// that made it.
final class CountingVolume: VolumeSource, @unchecked Sendable {
    let inner: MemoryVolume
    private let lock = NSLock()
    private var log: [(thread: String, box: Box3)] = []
    init(_ volume: AnyVolume, name: String) { inner = MemoryVolume(volume, name: name) }
    var reference: VolumeReference { inner.reference }
    var shape: Shape3 { inner.shape }
    var typeName: String { inner.typeName }
    var readBytesPerVoxel: Int { inner.readBytesPerVoxel }
    var storage: String { "counted" }
    var zGrain: Int { 1 }
    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        lock.lock(); log.append((Thread.current.name ?? "", box)); lock.unlock()
        return try inner.read(box)
    }
    /// The boxes read by threads whose name is `thread`.
    func reads(by thread: String) -> [Box3] { lock.lock(); defer { lock.unlock() }; return log.filter { $0.thread == thread }.map(\.box) }
    var threads: Set<String> { lock.lock(); defer { lock.unlock() }; return Set(log.map(\.thread)) }
    func forget() { lock.lock(); log = []; lock.unlock() }
}

final class OutOfCoreViewerTests: XCTestCase {
    let shape = Shape3(12, 300, 300)

    func session(cacheBytes: Int) throws -> (ViewerSession, image: CountingVolume, labels: [CountingVolume]) {
        let study = TestStudies.make(shape: shape)
        let image = CountingVolume(.float32(study.image), name: "study.h5:/image")
        let labels = study.labels.map { CountingVolume(.uint8($0.labels), name: "study.h5:/labels/\($0.name)") }
        let s = try ViewerSession(image: image, sources: zip(study.labels, labels).map { ($0.name, $0.role, $1, nil) },
                                  schema: study.schema, resolutionNM: nil, fileName: "study.h5", provider: nil, cachePath: nil,
                                  cacheBytes: cacheBytes, studyPath: nil, exportDirectory: ".", withoutModels: ViewerSession.noModels)
        s.send(.resize(cols: 120, rows: 40))
        return (s, image, labels)
    }

    func testTheViewerReadsOnlyTheSlicesItDrawsAndTheirNeighbours() throws {
        let (s, image, labels) = try session(cacheBytes: 512 << 20)
        defer { s.close() }
        let volumes = [image] + labels
        XCTAssertGreaterThan(s.data.level(forZoom: Layout(s.state).zoom(s.state)), 0, "fit to the pane, 300×300 slices are drawn from the pyramid")
        // Zoomed in, every pane draws full-resolution planes, which come from the volumes
        // (zoomed out, levels come from the pyramid in the viewer cache once the pass made them).
        for _ in 0..<8 { s.send(.zoomIn) }
        XCTAssertEqual(s.data.level(forZoom: Layout(s.state).zoom(s.state)), 0)
        s.settle()
        var seen: Set<[Int]> = []        // (volume, z) read by the plane loader so far
        for z in 0..<shape.z {
            if z > 0 { s.send(.nextSlice); s.settle() }
            for (v, volume) in volumes.enumerated() {
                for box in volume.reads(by: "densecell-load") {
                    // One whole plane at a time, of a slice on screen or at most two away.
                    XCTAssertEqual(box.z.count, 1)
                    XCTAssertEqual(box.y, 0..<shape.y); XCTAssertEqual(box.x, 0..<shape.x)
                    XCTAssertLessThanOrEqual(abs(box.z.lowerBound - z), 2, "slice \(box.z.lowerBound) read while showing \(z)")
                    XCTAssertFalse(seen.contains([v, box.z.lowerBound]), "slice \(box.z.lowerBound) of volume \(v) read twice")
                    seen.insert([v, box.z.lowerBound])
                }
                volume.forget()
            }
        }
        // Every slice of every pane's volume was needed once; nothing else was read.
        XCTAssertEqual(seen.count, volumes.count * shape.z)
    }

    func testTheBackgroundPassReadsEachVoxelOnceAndCountsWhatTheMetricsShow() throws {
        let (s, image, labels) = try session(cacheBytes: 512 << 20)
        defer { s.close() }
        s.settle()
        let study = TestStudies.make(shape: shape)
        for volume in [image] + labels {
            var times = [Int](repeating: 0, count: shape.z)
            for box in volume.reads(by: "densecell-pass") {
                XCTAssertEqual(box.y, 0..<shape.y); XCTAssertEqual(box.x, 0..<shape.x)
                for z in box.z { times[z] += 1 }
            }
            XCTAssertEqual(times, Array(repeating: 1, count: shape.z), volume.reference.description + " \(volume.threads)")
        }
        // The counts it made are the metrics of the whole volumes.
        XCTAssertEqual(s.data.confusion(0, 1, z: nil), Metrics.confusion(truth: study.labels[0].labels, prediction: study.labels[1].labels, classes: 7))
        XCTAssertEqual(s.data.confusion(1, 2, z: 5), Metrics.confusion(truth: study.labels[1].labels, prediction: study.labels[2].labels,
                                                                      classes: 7, z: 5..<6))
        XCTAssertEqual(s.data.fractions(2, z: nil).map { $0.map { $0 ?? -1 } },
                       Metrics.volumeFractions(study.labels[2].labels, schema: .platelet).map { $0 ?? -1 })
        // And the gray window is the whole image's.
        XCTAssertTrue(s.data.displayRangeIsExact)
        XCTAssertEqual(s.data.displayRange.lo, Overlay.displayRange(study.image).lo)
        XCTAssertEqual(s.data.displayRange.hi, Overlay.displayRange(study.image).hi)
    }

    func testMemoryStaysBoundedSteppingThroughEverySliceAtFullResolution() throws {
        let bound = 1 << 20          // about 11 planes of 300×300 bytes
        let (s, _, _) = try session(cacheBytes: bound)
        defer { s.close() }
        for _ in 0..<8 { s.send(.zoomIn) }
        XCTAssertEqual(s.data.level(forZoom: Layout(s.state).zoom(s.state)), 0)
        for z in 0..<shape.z {
            if z > 0 { s.send(.nextSlice) }
            s.settle()
            XCTAssertLessThanOrEqual(s.data.cache.bytes, bound, "slice \(z)")
            // The slice on screen is drawn, not waiting for its planes.
            XCTAssertFalse(s.frame().contains("reading z"), "slice \(z)")
        }
        XCTAssertGreaterThan(s.data.cache.evictions, 0, "older slices made room")
    }
}
