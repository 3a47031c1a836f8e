import XCTest
@testable import DenseCellCore

final class MetricsReportTests: XCTestCase {
    // Three classes, organelle 2; class 2 is in neither source, so its IoU is undefined.
    let schema = LabelSchema(classes: [.init(name: "background", color: nil), .init(name: "cell", color: nil),
                                       .init(name: "mito \"m\"", color: nil)], organelles: [2])
    var confusion: ConfusionMatrix {
        var c = ConfusionMatrix(classes: 3)
        c.counts = [3, 1, 0, 0, 2, 0, 0, 0, 0]
        return c
    }

    func testEvaluationJSONHasTheDocumentedKeysInOrderAndNullForUndefined() {
        let text = MetricsReport.evaluateJSON(confusion, schema: schema, fractions: [[nil, nil, 0.25], [nil, nil, nil]])
        XCTAssertEqual(text, #"{"classes":["background","cell","mito \"m\""],"voxels":6,"confusion":[[3,1,0],[0,2,0],[0,0,0]],"#
                       + #""iou":[0.75,0.6666666666666666,null],"miou_all":0.7083333333333333,"miou_org":null,"#
                       + #""volume_fractions":{"truth":{"mito \"m\"":0.25},"prediction":{"mito \"m\"":null}}}"#)
        // Valid JSON that Foundation reads back.
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(text.utf8)))
    }

    func testTheSweepFollowsTheFractions() throws {
        let text = MetricsReport.evaluateJSON(confusion, schema: schema, fractions: [[nil, nil, 0.25], [nil, nil, 0.5]],
                                              sweep: [(0.0, 0.5), (1.0, nil)])
        XCTAssertTrue(text.hasSuffix(#""prediction":{"mito \"m\"":0.5}},"binary_sweep":[{"threshold":0.0,"miou":0.5},{"threshold":1.0,"miou":null}]}"#),
                      text)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(text.utf8)))
    }

    func testComparisonJSONKeepsSourceOrder() {
        let p = PairwiseComparison(names: ["zeta", "alpha"], miouOrg: [[1, nil], [nil, 1]], miouAll: [[1, 0.5], [0.5, 1]])
        XCTAssertEqual(MetricsReport.compareJSON(p, fractions: [[nil, nil, 0.1], [nil, nil, 0.2]], schema: schema),
                       #"{"sources":["zeta","alpha"],"miou_org":[[1.0,null],[null,1.0]],"miou_all":[[1.0,0.5],[0.5,1.0]],"#
                       + #""volume_fractions":{"zeta":{"mito \"m\"":0.1},"alpha":{"mito \"m\"":0.2}}}"#)
    }

    func testJSONWritesNonFiniteNumbersAsNullAndEscapesControlCharacters() {
        XCTAssertEqual(OrderedJSON.array([.number(.nan), .number(.infinity), .string("a\u{1}\n"), .bool(true)]).text,
                       #"[null,null,"a\u0001\n",true]"#)
    }

    func testEvaluationTextHasEveryTableOnce() {
        let text = MetricsReport.evaluationText(confusion, schema: schema, truth: "t.h5:/labels/truth", prediction: "p.tif",
                                                labeledRegion: true, fractions: [[nil, nil, 0.25], [nil, nil, nil]],
                                                sweep: [(0.5, 0.75)])
        XCTAssertTrue(text.hasPrefix("truth       t.h5:/labels/truth\nprediction  p.tif\nvoxels      6 (inside the labeled region)\n\nclass"), text)
        XCTAssertEqual(text.components(separatedBy: "confusion matrix (voxels; rows truth, columns prediction)").count, 2)
        XCTAssertTrue(text.contains("\nMIoU(org)  ") && text.contains("  n/a\n(* not an organelle"), text)
        XCTAssertTrue(text.hasSuffix("\n\nbinary test: 1 − p0 ≥ t    MIoU\nt = 0.5                  0.7500"), text)
    }
}
