@testable import DenseCellTUI
import Foundation
import XCTest

/// The key loop sleeps until background work reports: a post wakes a waiter at once and makes
/// the descriptor the terminal polls readable until the events are drained.
final class BackgroundEventsTests: XCTestCase {
    func readable(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    func testAPostWakesTheWaiterAndThePolledDescriptor() {
        let events = BackgroundEvents()
        XCTAssertFalse(readable(events.wakeDescriptor))
        XCTAssertFalse(events.wait(atMost: 0.01), "nothing posted: the wait times out")
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { events.post(.notice("done")) }
        let start = Date()
        XCTAssertTrue(events.wait(atMost: 10))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "woken by the post, not the timeout")
        XCTAssertTrue(readable(events.wakeDescriptor))
        events.post(.dataChanged); events.post(.dataChanged)
        let drained = events.drain()
        XCTAssertEqual(drained.count, 2, "a notice and one redraw (redraws coalesce)")
        XCTAssertFalse(readable(events.wakeDescriptor), "drained: the loop sleeps again")
        XCTAssertTrue(events.isEmpty)
    }
}
