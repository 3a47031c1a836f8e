import XCTest
import DenseCellCore
@testable import DenseCellEngine

/// Each oneDNN operation against the nested-loop reference on random weights and inputs.
final class OperationTests: XCTestCase {
    /// Builds a one-operation plan on a plain input, runs it and returns the plain output.
    func run(_ input: RefTensor, _ body: (PlanBuilder, Tensor) throws -> Tensor) throws -> RefTensor {
        let b = try PlanBuilder()
        let x = try b.input(channels: input.c, shape: input.shape)
        input.data.withUnsafeBufferPointer { x.floatPointer.update(from: $0.baseAddress!, count: $0.count) }
        let y = try b.output(try body(b, x))
        try b.plan.run()
        return RefTensor(c: y.channels, z: y.shape.z, y: y.shape.y, x: y.shape.x,
                         data: Array(UnsafeBufferPointer(start: y.floatPointer, count: y.channels * y.shape.count)))
    }

    func testConvolutionKernels() throws {
        var r = TestRandom(1)
        // Channel counts on and off the 16-channel blocking, including 1 input channel.
        for (ic, oc, kernel, relu) in [(1, 8, [3, 3, 3], true), (16, 32, [3, 3, 3], true), (24, 16, [1, 3, 3], false),
                                       (32, 7, [1, 1, 1], false), (71, 16, [3, 3, 3], true), (7, 5, [1, 3, 3], true)] {
            let input = RefTensor(c: ic, z: 4, y: 8, x: 12, data: r.array(ic * 4 * 8 * 12))
            let w = r.weights(out: oc, in: ic, kernel: kernel, scale: 0.3)
            let got = try run(input) { b, x in try b.convolution(x, w, relu: relu, label: "conv") }
            let want = Reference.conv(input, w, relu: relu)
            XCTAssertEqual(got.c, oc)
            let err = maxRelativeError(got.data, want.data)
            XCTAssertLessThanOrEqual(err, 1e-4, "conv \(ic)→\(oc) \(kernel) relu=\(relu)")
            if relu { XCTAssertTrue(got.data.contains(0) && got.data.contains { $0 > 0 }) }
        }
    }

    func testTransposedConvolution() throws {
        var r = TestRandom(2)
        for (ic, oc) in [(32, 16), (16, 16), (8, 4)] {
            let input = RefTensor(c: ic, z: 3, y: 5, x: 6, data: r.array(ic * 90))
            let w = r.weights(out: oc, in: ic, kernel: [1, 2, 2])
            let got = try run(input) { b, x in try b.convolution(x, w, relu: true, transposed: true, label: "up") }
            let want = Reference.transposedConv(input, w, relu: true)
            XCTAssertEqual(got.shape, Shape3(3, 10, 12))
            XCTAssertLessThanOrEqual(maxRelativeError(got.data, want.data), 1e-4, "transposed \(ic)→\(oc)")
        }
    }

    func testMaxPoolSoftmaxConcat() throws {
        var r = TestRandom(3)
        let input = RefTensor(c: 16, z: 2, y: 8, x: 6, data: r.array(16 * 96, -3, 3))
        let pooled = try run(input) { b, x in try b.maxPool(x, label: "pool") }
        XCTAssertEqual(pooled.data, Reference.maxPool(input).data)

        let logits = RefTensor(c: 7, z: 2, y: 4, x: 4, data: r.array(7 * 32, -5, 5))
        let soft = try run(logits) { b, x in try b.softmax(x, label: "softmax") }
        XCTAssertLessThanOrEqual(maxRelativeError(soft.data, Reference.softmax(logits).data), 1e-5)

        // Concatenation of a blocked tensor (after a convolution) with a 7-channel softmax.
        let w = r.weights(out: 16, in: 7, kernel: [1, 1, 1])
        let cat = try run(logits) { b, x in
            let y = try b.convolution(x, w, relu: false, label: "conv")
            return try b.concat(y, try b.softmax(x, label: "softmax"), label: "concat")
        }
        let want = Reference.concat(Reference.conv(logits, w, relu: false), Reference.softmax(logits))
        XCTAssertEqual(cat.c, 23)
        XCTAssertLessThanOrEqual(maxRelativeError(cat.data, want.data), 1e-4)
    }

    /// The pyramid's sum fused as a post-op: relu(transposed(x)) added to an existing tensor.
    func testFusedSum() throws {
        var r = TestRandom(4)
        let input = RefTensor(c: 16, z: 3, y: 8, x: 8, data: r.array(16 * 192))
        let w0 = r.weights(out: 16, in: 16, kernel: [3, 3, 3], scale: 0.2)
        let w1 = r.weights(out: 16, in: 16, kernel: [1, 2, 2])
        let got = try run(input) { b, x in
            let a = try b.convolution(x, w0, relu: true, label: "a")
            let pooled = try b.maxPool(x, label: "pool")
            return try b.convolution(pooled, w1, relu: true, transposed: true, sumInto: a, label: "sum")
        }
        let want = Reference.add(Reference.conv(input, w0, relu: true),
                                 Reference.transposedConv(Reference.maxPool(input), w1, relu: true))
        XCTAssertLessThanOrEqual(maxRelativeError(got.data, want.data), 1e-4)
    }
}
