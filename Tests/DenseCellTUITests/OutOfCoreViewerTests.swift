// The viewer on a study it reads on demand: what it reads, and how much it holds.
import DenseCellCore
@testable import DenseCellIO
@testable import DenseCellTUI
import XCTest

/// A volume that behaves like a file (not in memory) and records every read with the thread
/// that made it.
final class CountingVolume: VolumeSource, @unchecked Sendable {
    let inner: MemoryVolume
    private let lock = NSLock()
    private var log: [(thread: String, main: Bool, box: Box3)] = []
    init(_ volume: AnyVolume, name: String) { inner = MemoryVolume(volume, name: name) }
    var reference: VolumeReference { inner.reference }
    var shape: Shape3 { inner.shape }
    var typeName: String { inner.typeName }
    var readBytesPerVoxel: Int { inner.readBytesPerVoxel }
    var storage: String { "counted" }
    var zGrain: Int { 1 }
    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        lock.lock(); log.append((Thread.current.name ?? "", Thread.isMainThread, box)); lock.unlock()
        return try inner.read(box)
    }
    /// The boxes read on threads other than the main one.
    var readsOffMainThread: [Box3] { lock.lock(); defer { lock.unlock() }; return log.filter { !$0.main }.map(\.box) }
    var debugLog: String { lock.lock(); defer { lock.unlock() }; return log.map { "\($0.thread)|\($0.main)|\($0.box)" }.joined(separator: "; ") }
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
        XCTAssertGreaterThan(s.data.planes.level(forZoom: Layout(s.state).zoom(s.state)), 0, "fit to the pane, 300×300 slices are drawn from the pyramid")
        // Zoomed in, every pane draws full-resolution planes, which come from the volumes
        // (zoomed out, levels come from the pyramid in the viewer cache once the pass made them).
        for _ in 0..<8 { s.send(.zoomIn) }
        XCTAssertEqual(s.data.planes.level(forZoom: Layout(s.state).zoom(s.state)), 0)
        s.settle()
        var seen: Set<[Int]> = []        // (volume, z) read by the plane loader so far
        for z in 0..<shape.z {
            if z > 0 { s.send(.nextSlice); s.settle() }
            for (v, volume) in volumes.enumerated() {
                // Off the key thread, one slice at a time: the plane loader (the background pass
                // reads slabs of 4; a thread's name is not a reliable mark on Linux, where a new
                // thread may report the name it inherited).
                for box in volume.readsOffMainThread where box.z.count == 1 {
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
        // Every slice of every pane's volume was needed once; nothing else was read. (Slice 0 was
        // read when the study was opened, to check it before the screen opens.)
        XCTAssertEqual(seen, Set((0..<volumes.count).flatMap { v in (1..<shape.z).map { [v, $0] } }))
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
            XCTAssertEqual(times, Array(repeating: 1, count: shape.z), volume.reference.description + " \(volume.debugLog)")
        }
        // The counts it made are the metrics of the whole volumes.
        XCTAssertEqual(s.data.statistics.confusion(0, 1, z: nil), Metrics.confusion(truth: study.labels[0].labels, prediction: study.labels[1].labels, classes: 7))
        XCTAssertEqual(s.data.statistics.confusion(1, 2, z: 5), Metrics.confusion(truth: study.labels[1].labels, prediction: study.labels[2].labels,
                                                                      classes: 7, z: 5..<6))
        XCTAssertEqual(s.data.statistics.fractions(2, z: nil).map { $0.map { $0 ?? -1 } },
                       Metrics.volumeFractions(study.labels[2].labels, schema: .platelet).map { $0 ?? -1 })
        // And the gray window is the whole image's.
        XCTAssertTrue(s.data.statistics.window.exact)
        XCTAssertEqual(s.data.statistics.window.lo, Overlay.displayRange(study.image).lo)
        XCTAssertEqual(s.data.statistics.window.hi, Overlay.displayRange(study.image).hi)
    }

    func testMemoryStaysBoundedSteppingThroughEverySliceAtFullResolution() throws {
        let bound = 1 << 20          // about 11 planes of 300×300 bytes
        let (s, _, _) = try session(cacheBytes: bound)
        defer { s.close() }
        for _ in 0..<8 { s.send(.zoomIn) }
        XCTAssertEqual(s.data.planes.level(forZoom: Layout(s.state).zoom(s.state)), 0)
        for z in 0..<shape.z {
            if z > 0 { s.send(.nextSlice) }
            s.settle()
            XCTAssertLessThanOrEqual(s.data.planes.cache.bytes, bound, "slice \(z)")
            // The slice on screen is drawn, not waiting for its planes.
            XCTAssertFalse(s.frame().contains("reading z"), "slice \(z)")
        }
        XCTAssertGreaterThan(s.data.planes.cache.evictions, 0, "older slices made room")
    }
}

/// The viewer cache beside a study on disk: reused, rebuilt when a source changes, replaced when unreadable.
final class ViewerCacheTests: XCTestCase {
    var dir = ""
    var openingNotice: String?
    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-viewer-cache-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func open(_ path: String) throws -> ViewerSession {
        let slices = try OpenedStudy.open(study: path, schema: .platelet, select: ["truth", "annotator-1", "annotator-2"])
        let s = try ViewerSession(study: slices, fileName: "s.h5", provider: nil, cachePath: ViewerCacheFile.path(forStudy: path))
        openingNotice = s.state.notice
        s.send(.resize(cols: 120, rows: 40))
        return s
    }

    func testTheCacheIsReusedRebuiltWhenASourceChangesAndReplacedWhenUnreadable() throws {
        let path = dir + "/s.h5", cache = dir + "/s.densecell-cache.h5"
        var study = TestStudies.make(shape: Shape3(6, 160, 160))
        try StudyFile.write(study, path: path)
        func check(_ s: ViewerSession, _ study: Study, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(s.data.statistics.confusion(0, 2, z: nil), Metrics.confusion(truth: study.labels[0].labels, prediction: study.labels[2].labels, classes: 7),
                           file: file, line: line)
            XCTAssertEqual(s.data.statistics.window.lo, Overlay.displayRange(study.image).lo, file: file, line: line)
        }

        // First visit: the pass counts everything and keeps it (and the pyramid) in the cache.
        var s = try open(path)
        XCTAssertNotNil(s.data.statistics.passProgress, "counted in the background")
        s.settle()
        check(s, study)
        s.close()
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache))

        // Second visit: counts, window and pyramid come from the cache at once.
        s = try open(path)
        XCTAssertNil(s.data.statistics.passProgress, "nothing left to count")
        XCTAssertTrue(s.data.statistics.window.exact)
        check(s, study)
        s.close()

        // A source rewritten: its counts no longer match and are made again.
        study.labels[2].labels = study.labels[1].labels
        Thread.sleep(forTimeInterval: 1.1)          // a new modification time
        try StudyFile.write(study, path: path)
        s = try open(path)
        XCTAssertNotNil(s.data.statistics.passProgress, "stale counts are not used")
        s.settle()
        check(s, study)
        s.close()

        // A cache that cannot be read is replaced, with a word in the footer, never an error.
        try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: cache), options: .atomic)
        s = try open(path)
        XCTAssertTrue(openingNotice?.contains("could not be read") == true && openingNotice?.contains("rebuilt") == true, openingNotice ?? "no notice")
        s.settle()
        check(s, study)
        s.close()
    }
}
