import DenseCellCore
import XCTest

final class PlanePyramidTests: XCTestCase {
    func testSizesAndLevelCountCoverTheFarEdges() {
        XCTAssertTrue(PlanePyramid.size(height: 5, width: 4, level: 1) == (3, 2))
        XCTAssertTrue(PlanePyramid.size(height: 2000, width: 2000, level: 4) == (125, 125))
        XCTAssertEqual(PlanePyramid.levels(height: 2000, width: 2000), 4)      // 1000, 500, 250, 125
        XCTAssertEqual(PlanePyramid.levels(height: 128, width: 64), 0)
    }

    func testImagesAverageAndLabelsKeepTheMostFrequentValue() {
        // 3×3: a full 2×2 block, a 2×1 and a 1×2 edge block, and a 1×1 corner.
        let image: [Float] = [1, 3, 10,
                              5, 7, 20,
                              100, 200, 7]
        XCTAssertEqual(PlanePyramid.halveMean(image, height: 3, width: 3), [4, 15, 150, 7])
        XCTAssertEqual(PlanePyramid.halveMean(image.map { UInt8($0) }, height: 3, width: 3), [4, 15, 150, 7])
        let labels: [UInt8] = [2, 2, 4,
                               5, 1, 3,
                               6, 6, 9]
        // Block one: 2 twice wins; the edge blocks tie (to the smallest); the corner keeps its value.
        XCTAssertEqual(PlanePyramid.halveMode(labels, height: 3, width: 3), [2, 3, 6, 9])
        XCTAssertEqual(PlanePyramid.halveMode([3, 1, 1, 3], height: 2, width: 2), [1], "a 2–2 tie goes to the smaller class")
    }
}
