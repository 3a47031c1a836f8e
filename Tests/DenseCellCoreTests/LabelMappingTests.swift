import XCTest
@testable import DenseCellCore

final class LabelMappingTests: XCTestCase {
    func schema(_ json: String) throws -> LabelSchema { try LabelSchema.parse(Data(json.utf8), source: "s.json") }

    func refusal(_ json: String) -> String {
        do { _ = try schema(json); return "accepted" } catch { return "\(error)" }
    }

    let binary = ##"{"classes":[{"name":"membrane","values":[0]},{"name":"interior","color":"#FF0000","values":[255]}],"organelles":[1]}"##

    func testSchemaValuesAreParsed() throws {
        let s = try schema(binary)
        XCTAssertEqual(s.classes.map(\.values), [[0], [255]])
        XCTAssertEqual(s.organelles, [1])
        // Without "values" nothing changes: values are class indices.
        let plain = try schema(#"{"classes":[{"name":"a"},{"name":"b"}]}"#)
        XCTAssertEqual(plain.classes.map(\.values), [nil, nil])
        XCTAssertTrue(plain.mapping.isIdentity)
        XCTAssertEqual(plain.mapping, LabelMapping(classCount: 2))
        // Several values per class, negative and wide ones, and an empty list.
        let wide = try schema(#"{"classes":[{"name":"a","values":[0,-5]},{"name":"b","values":[9007199254740993]},{"name":"c","values":[]}]}"#)
        XCTAssertEqual(wide.classes.map(\.values), [[0, -5], [9007199254740993], []])
    }

    func testBadSchemaValuesAreRefusedInOneLine() {
        XCTAssertEqual(refusal(#"{"classes":[{"name":"a","values":[0,1]},{"name":"b","values":[1]}]}"#),
                       "s.json: invalid schema: value 1 is listed by both a and b")
        XCTAssertEqual(refusal(#"{"classes":[{"name":"a","values":[3,3]},{"name":"b","values":[1]}]}"#),
                       "s.json: invalid schema: class a lists value 3 twice")
        XCTAssertEqual(refusal(#"{"classes":[{"name":"a","values":[2.5]},{"name":"b","values":[1]}]}"#),
                       "s.json: invalid schema: class a: value 2.5 is not a whole number from -9223372036854775808 to 9223372036854775807, the range labels are stored in")
        XCTAssertTrue(refusal(#"{"classes":[{"name":"a","values":[0]},{"name":"b","values":[1e20]}]}"#)
            .hasPrefix("s.json: invalid schema: class b: value 1e+20 is not a whole number"))
        XCTAssertTrue(refusal(#"{"classes":[{"name":"a","values":[0]},{"name":"b","values":[18446744073709551615]}]}"#)
            .hasPrefix("s.json: invalid schema: class b: value"))
        XCTAssertEqual(refusal(#"{"classes":[{"name":"a","values":[0]},{"name":"b"}]}"#),
                       "s.json: invalid schema: class b lists no values while other classes do; list the stored values of every class (an empty list for a class the data never holds)")
        for text in [refusal(#"{"classes":[{"name":"a","values":[0,1]},{"name":"b","values":[1]}]}"#)] {
            XCTAssertFalse(text.contains("\n"))
        }
    }

    func testListedValuesMapEveryStoredType() throws {
        let m = try schema(binary).mapping
        let shape = Shape3(1, 1, 4)
        XCTAssertEqual(try AnyVolume.uint8(Volume(shape: shape, data: [0, 255, 255, 0])).asLabels(m).data, [0, 1, 1, 0])
        XCTAssertEqual(try AnyVolume.uint16(Volume(shape: shape, data: [0, 255, 255, 0])).asLabels(m).data, [0, 1, 1, 0])
        XCTAssertEqual(try AnyVolume.int32(Volume(shape: shape, data: [0, 255, 255, 0])).asLabels(m).data, [0, 1, 1, 0])
        XCTAssertEqual(try AnyVolume.float32(Volume(shape: shape, data: [0, 255, 255, 0])).asLabels(m).data, [0, 1, 1, 0])
        // Values beyond 16 bits go through the dictionary.
        let wide = try schema(#"{"classes":[{"name":"a","values":[-1]},{"name":"b","values":[100000]},{"name":"c","values":[7]}]}"#).mapping
        XCTAssertEqual(try AnyVolume.int64(Volume(shape: shape, data: [-1, 100000, 7, -1])).asLabels(wide).data, [0, 1, 2, 0])
        XCTAssertEqual(wide.classOf(100000), 1)
        XCTAssertNil(wide.classOf(0))
    }

    func testValuesNoClassListsAreOutsideTheSchema() throws {
        let m = try schema(binary).mapping
        let shape = Shape3(1, 1, 3)
        // Class index 1 is not a listed value: a 0/1 file under a 0/255 schema is refused, naming the value.
        XCTAssertThrowsError(try AnyVolume.uint8(Volume(shape: shape, data: [0, 1, 255])).asLabels(m)) { error in
            XCTAssertEqual(error as? LabelError, .unlisted(value: 1, listed: [0, 255]))
            XCTAssertEqual("\(error)", "label value 1 is outside the schema (its classes list the values 0, 255)")
        }
        XCTAssertThrowsError(try AnyVolume.int32(Volume(shape: shape, data: [0, 70000, 255])).asLabels(m)) { error in
            XCTAssertEqual(error as? LabelError, .unlisted(value: 70000, listed: [0, 255]))
        }
        XCTAssertThrowsError(try AnyVolume.float32(Volume(shape: shape, data: [0, 0.5, 255])).asLabels(m)) { error in
            XCTAssertEqual(error as? LabelError, .notLabels("0.5"))
        }
    }

    func testIdentityKeepsTodaysCheck() {
        let m = LabelMapping(classCount: 7)
        let bytes = Volume<UInt8>(shape: Shape3(1, 1, 3), data: [0, 6, 2])
        XCTAssertEqual(try AnyVolume.uint8(bytes).asLabels(m), bytes)
        XCTAssertThrowsError(try AnyVolume.uint8(Volume(shape: Shape3(1, 1, 3), data: [0, 7, 2])).asLabels(m)) { error in
            XCTAssertEqual(error as? LabelError, .outOfSchema(value: 7, classCount: 7))
        }
    }

    func testMoreDistinctValuesThanClassesAreInstanceIDs() throws {
        let ids = Volume<Int32>(shape: Shape3(2, 3, 4), data: (0..<24).map { Int32($0 * 1000) })
        XCTAssertThrowsError(try AnyVolume.int32(ids).asLabels(LabelMapping(classCount: 7))) { error in
            XCTAssertEqual(error as? LabelError, .instanceIDs(distinct: 24))
            XCTAssertEqual("\(error)", "holds instance ids (24 distinct values in the slices read), not class labels; "
                           + "give a --schema whose classes list the values they stand for")
        }
        let many = Volume<Int64>(shape: Shape3(1, 50, 100), data: (0..<5000).map { Int64($0) << 40 })
        XCTAssertThrowsError(try AnyVolume.int64(many).asLabels(try schema(binary).mapping)) { error in
            XCTAssertEqual("\(error)".prefix(50), "holds instance ids (5,000 distinct values in the s")
        }
        // An 8-bit image given as labels by mistake is not called instance ids, nor are a few stray values.
        let image = Volume<UInt8>(shape: Shape3(1, 10, 10), data: (0..<100).map { UInt8($0 + 100) })
        XCTAssertThrowsError(try AnyVolume.uint8(image).asLabels(LabelMapping(classCount: 7))) { error in
            XCTAssertEqual(error as? LabelError, .outOfSchema(value: 100, classCount: 7))
        }
        XCTAssertThrowsError(try AnyVolume.uint16(image.map { UInt16($0) }).asLabels(LabelMapping(classCount: 7))) { error in
            XCTAssertEqual(error as? LabelError, .instanceIDs(distinct: 100))
        }
        XCTAssertThrowsError(try AnyVolume.int32(Volume(shape: Shape3(1, 1, 3), data: [0, 9, 9])).asLabels(LabelMapping(classCount: 7))) { error in
            XCTAssertEqual(error as? LabelError, .outOfSchema(value: 9, classCount: 7))
        }
    }

    func testDescriptionKeysWhatLabelsReadAs() throws {
        XCTAssertEqual(LabelMapping(classCount: 7).description, "classes 7")
        XCTAssertEqual(try schema(binary).mapping.description, "classes 2 values 0:0 255:1")
    }
}
