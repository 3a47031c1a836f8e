@testable import DenseCellTUI
import XCTest

final class PlaneCacheTests: XCTestCase {
    func plane(_ bytes: Int) -> Plane { Plane(height: 1, width: bytes, bytes: [UInt8](repeating: 1, count: bytes)) }

    func testLeastRecentlyUsedGoesFirstButPinnedPlanesStay() {
        let cache = PlaneCache(capacityBytes: 1 << 20)            // room for three 300 KB planes
        let keys = (0..<5).map { PlaneKey(volume: 1, z: $0, level: 0) }
        for k in keys.prefix(3) { cache.put(k, plane(300_000)) }
        _ = cache.get(keys[0])                                     // 0 used last: 1 is the oldest now
        cache.put(keys[3], plane(300_000))
        XCTAssertNil(cache.peek(keys[1]))
        XCTAssertNotNil(cache.peek(keys[0]))
        XCTAssertLessThanOrEqual(cache.bytes, cache.capacity)
        // The frame's planes are kept even when they alone exceed the bound.
        cache.pin(Set(keys.prefix(4)))
        cache.put(keys[4], plane(300_000))
        XCTAssertNotNil(cache.peek(keys[0])); XCTAssertNotNil(cache.peek(keys[3])); XCTAssertNotNil(cache.peek(keys[4]))
        XCTAssertGreaterThan(cache.bytes, cache.capacity)
        cache.pin([])
        cache.put(PlaneKey(volume: 2, z: 0, level: 0), plane(10))
        XCTAssertLessThanOrEqual(cache.bytes, cache.capacity, "back within the bound once unpinned")
    }

    func testAPlaneReadBeforeItsVolumeChangedIsNotPutBack() {
        let cache = PlaneCache(capacityBytes: 1 << 20)
        let key = PlaneKey(volume: 3, z: 7, level: 0)
        let epoch = cache.epoch(3)
        cache.invalidate(volume: 3, z: 5..<9)                      // a tile lands while the plane is read
        cache.put(key, plane(100), epoch: epoch)
        XCTAssertNil(cache.peek(key))
        cache.put(key, plane(100), epoch: cache.epoch(3))
        XCTAssertNotNil(cache.peek(key))
        cache.invalidate(volume: 3, z: 0..<2)
        XCTAssertNotNil(cache.peek(key), "other slices stay")
    }
}
