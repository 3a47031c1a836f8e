import XCTest
@testable import DenseCellCore

final class VolumeTests: XCTestCase {
    func testIndexingPlanesAndBoxes() {
        let s = Shape3(3, 4, 5)
        let v = Volume(shape: s, data: (0..<s.count).map { $0 })
        XCTAssertEqual(v[2, 1, 3], (2 * 4 + 1) * 5 + 3)
        XCTAssertEqual(Array(v.plane(1)), Array(20..<40))
        let box = Box3(z: 1..<3, y: 2..<4, x: 0..<2)
        let sub = v.extract(box)
        XCTAssertEqual(sub.shape, Shape3(2, 2, 2))
        XCTAssertEqual(sub.data, [30, 31, 35, 36, 50, 51, 55, 56])
        var w = Volume(shape: s, repeating: -1)
        w.insert(sub, at: (1, 2, 0))
        XCTAssertEqual(w.extract(box), sub)
        XCTAssertEqual(w.data.filter { $0 != -1 }.count, 8)
    }

    func testParsing() {
        XCTAssertEqual(Shape3(parsing: "48x384x384"), Shape3(48, 384, 384))
        XCTAssertNil(Shape3(parsing: "48x384"))
        XCTAssertNil(Shape3(parsing: "0x2x2"))
        let s = Shape3(10, 100, 200)
        XCTAssertEqual(Box3.parse("0:5,10:60,:", in: s), Box3(z: 0..<5, y: 10..<60, x: 0..<200))
        XCTAssertNil(Box3.parse("0:11,0:10,0:10", in: s), "beyond the volume")
        XCTAssertNil(Box3.parse("5:5,0:10,0:10", in: s), "empty")
    }

    func testLabelsOutsideSchemaAreRejected() {
        let ok = AnyVolume.int32(Volume(shape: Shape3(1, 1, 3), data: [0, 6, 2]))
        XCTAssertEqual(try ok.asLabels(LabelMapping(classCount: 7)).data, [0, 6, 2])
        let bad = AnyVolume.uint8(Volume(shape: Shape3(1, 1, 3), data: [0, 7, 2]))
        XCTAssertThrowsError(try bad.asLabels(LabelMapping(classCount: 7))) { error in
            XCTAssertEqual(error as? LabelError, .outOfSchema(value: 7, classCount: 7))
        }
        let negative = AnyVolume.int32(Volume(shape: Shape3(1, 1, 1), data: [-1]))
        XCTAssertThrowsError(try negative.asLabels(LabelMapping(classCount: 7)))
    }
}

final class LabelSchemaTests: XCTestCase {
    func testPlateletDefaults() {
        let s = LabelSchema.platelet
        XCTAssertEqual(s.count, 7)
        XCTAssertEqual(s.organelles, [2, 3, 4, 5, 6])
        XCTAssertNil(s.classes[0].color)
        XCTAssertEqual(s.classes[1].color?.hex, "#5B8DB8")
        XCTAssertEqual(s.classes[6].color, RGB(0xFF, 0x7F, 0x0E))
    }

    func testLoadsJSON() throws {
        let json = ##"{"classes":[{"name":"bg"},{"name":"nucleus","color":"#112233"},{"name":"er","color":"#aabbcc"}],"organelles":[2]}"##
        let s = try LabelSchema.parse(Data(json.utf8))
        XCTAssertEqual(s.names, ["bg", "nucleus", "er"])
        XCTAssertEqual(s.classes[2].color, RGB(0xAA, 0xBB, 0xCC))
        XCTAssertEqual(s.organelles, [2])
        XCTAssertThrowsError(try LabelSchema.parse(Data(#"{"classes":[{"name":"a"},{"name":"b","color":"red"}]}"#.utf8)))
        XCTAssertThrowsError(try LabelSchema.parse(Data(#"{"classes":[{"name":"a"},{"name":"b"}],"organelles":[5]}"#.utf8)))
        XCTAssertThrowsError(try LabelSchema.load(path: "/nonexistent.json"))
    }
}
