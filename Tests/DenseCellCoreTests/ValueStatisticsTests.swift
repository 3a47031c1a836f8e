import XCTest
@testable import DenseCellCore

/// Statistics accumulated slab by slab, or from value counts, equal those of the whole volume.
final class ValueStatisticsTests: XCTestCase {
    func testSlabsAndValueCountsGiveTheWholeVolumesStatistics() {
        var rng = SplitMix64(seed: 3)
        let values = (0..<10_000).map { _ in UInt16(rng.next() % 700) }
        var whole = ValueStatistics(histogram: true)
        whole.add(values.map(Double.init))
        var slabs = ValueStatistics(histogram: true)
        for start in stride(from: 0, to: values.count, by: 999) {
            slabs.add(values[start..<min(values.count, start + 999)].map(Double.init))
        }
        XCTAssertEqual(slabs, whole)
        var counted = ValueStatistics(histogram: true)
        var counts = [Int](repeating: 0, count: 700)
        for v in values { counts[Int(v)] += 1 }
        counted.add(valueCounts: Array(counts.prefix(350)) + [Int](repeating: 0, count: 350))
        counted.add(valueCounts: [Int](repeating: 0, count: 350) + Array(counts.suffix(350)))
        XCTAssertEqual(counted, whole)
        XCTAssertEqual(whole.count, 10_000)
        XCTAssertEqual(whole.mean, Double(values.reduce(0) { $0 + Int($1) }) / 10_000)
        XCTAssertEqual(whole.histogram.reduce(0, +) + whole.outsideHistogram, 10_000)
        XCTAssertEqual(whole.outsideHistogram, values.filter { $0 >= 256 }.count)
    }

    func testNonFiniteValuesAreCountedApart() {
        var s = ValueStatistics(histogram: false)
        s.add([1, .nan, -2, .infinity, 4, -.infinity])
        XCTAssertEqual(s.lowest, -2); XCTAssertEqual(s.highest, 4); XCTAssertEqual(s.mean, 1)
        XCTAssertEqual(s.nanCount, 1); XCTAssertEqual(s.infiniteCount, 2)
    }
}
