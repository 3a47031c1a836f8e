import XCTest
import CHDF5
import CPNG
import CTIFF
import CNcurses
import CDNNL
import CChafa
import CSixel

/// One real call into each C library densecell links, through its shim.
final class SystemLibraryTests: XCTestCase {
    func testHDF5() {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        XCTAssertGreaterThanOrEqual(H5get_libversion(&major, &minor, &release), 0)
        XCTAssertGreaterThanOrEqual(major * 100 + minor, 110, "HDF5 1.10 or newer")
        XCTAssertEqual(H5Tget_size(dc_h5t_ieee_f16le()), 2)
    }

    func testLibChafaEncodesASixelImage() throws {
        // 2×1 cells of 4×6 pixels: an 8×6 raster, left half black, right half white.
        var rgb = [UInt8](repeating: 0, count: 8 * 6 * 3)
        for y in 0..<6 { for x in 4..<8 { for c in 0..<3 { rgb[(y * 8 + x) * 3 + c] = 255 } } }
        var length = 0
        let encoded = try XCTUnwrap(dc_chafa_encode(rgb, 8, 6, dc_chafa_pixel_mode_sixels(), 2, 1, 4, 6, &length))
        defer { dc_chafa_free(encoded) }
        let text = String(decoding: UnsafeRawBufferPointer(start: encoded, count: length), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("\u{1B}P"), "a DCS sixel sequence: \(text.debugDescription)")
        XCTAssertTrue(text.contains("\"1;1;8;6"), "raster attributes give the 8×6 size: \(text.debugDescription)")
        XCTAssertTrue(text.hasSuffix("\u{1B}\\"))
    }

    func testLibSixelEncodesInAGivenPaletteThatSixel2pngDecodes() throws {
        // 10×8 pixels (a whole band of six rows and part of another) in three colors: stripes
        // of 0 and 1 with a block of 2.
        let palette: [UInt8] = [0, 0, 0, 255, 255, 255, 204, 51, 0]
        var indices = [UInt8](repeating: 0, count: 10 * 8)
        for y in 0..<8 { for x in 0..<10 { indices[y * 10 + x] = x >= 4 && x < 7 && y >= 3 ? 2 : UInt8((x + y) % 2) } }
        var length = 0
        let encoded = try XCTUnwrap(dc_sixel_encode(indices, 10, 8, palette, 3, &length))
        defer { dc_sixel_free(encoded) }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: encoded, count: length))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("\u{1B}P") && text.hasSuffix("\u{1B}\\"), text.debugDescription)
        XCTAssertTrue(text.contains("#2;2;80;20;0"), "the palette's own colors, in percent: \(text.debugDescription)")

        let tool = try XCTUnwrap(["/usr/bin/sixel2png", "/usr/local/bin/sixel2png"].first(where: FileManager.default.isExecutableFile(atPath:)),
                                 "sixel2png (Debian libsixel-bin, make deps) decodes the image")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("libsixel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let six = dir.appendingPathComponent("tiny.six").path, png = dir.appendingPathComponent("tiny.png").path
        try Data(bytes).write(to: URL(fileURLWithPath: six))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["-i", six, "-o", png]
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: UInt32 = 0, height: UInt32 = 0
        var channels: Int32 = 0, depth: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(dc_png_read(png, &pixels, &width, &height, &channels, &depth, 0, &err, 256), 0, String(cString: err))
        defer { free(pixels) }
        XCTAssertEqual(width, 10); XCTAssertEqual(height, 8)
        let decoded = try XCTUnwrap(pixels)
        for i in 0..<(10 * 8) {
            for c in 0..<3 {
                let got = Int(decoded[Int(channels) * i + min(c, Int(channels) - 1)]), want = Int(palette[3 * Int(indices[i]) + c])
                // Sixel gives colors in whole percent: within 1.3 levels.
                XCTAssertLessThanOrEqual(abs(got - want), 2, "pixel \(i % 10),\(i / 10) channel \(c)")
            }
        }
    }

    func testLibPNG() {
        XCTAssertTrue(String(cString: png_get_libpng_ver(nil)).hasPrefix("1.6"))
    }

    func testLibTIFF() {
        XCTAssertTrue(String(cString: TIFFGetVersion()).contains("LIBTIFF"))
    }

    func testNcursesDrawsOffscreen() throws {
        // A real screen on a pipe, with a terminal description that has 256 colors.
        guard let out = fopen("/dev/null", "w"), let input = fopen("/dev/null", "r") else { throw XCTSkip("no /dev/null") }
        defer { fclose(out); fclose(input) }
        guard let screen = newterm("xterm-256color", out, input) else { return XCTFail("newterm failed: terminfo missing?") }
        set_term(screen)
        start_color()
        XCTAssertGreaterThanOrEqual(dc_colors(), 256)
        XCTAssertEqual(init_extended_pair(1, 196, 21), OK)
        XCTAssertEqual(dc_put_cell(0, 0, 0x2580, 1, 0), OK)   // ▀
        endwin()
        delscreen(screen)
        XCTAssertEqual(dc_ncurses_version_major(), 6)
    }

    func testOneDNNRunsAReLU() {
        XCTAssertTrue(String(cString: dc_dnnl_version_string()).hasPrefix("2."))
        var engine: dnnl_engine_t?
        XCTAssertEqual(dnnl_engine_create(&engine, dnnl_cpu, 0), dnnl_success)
        defer { dnnl_engine_destroy(engine) }
        var stream: dnnl_stream_t?
        XCTAssertEqual(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), dnnl_success)
        defer { dnnl_stream_destroy(stream) }
        var md = dnnl_memory_desc_t()
        var dims: [dnnl_dim_t] = [1, 4]
        XCTAssertEqual(dnnl_memory_desc_init_by_tag(&md, 2, &dims, dnnl_f32, dnnl_nc), dnnl_success)
        var data: [Float] = [-2, -0.5, 0.5, 3]
        var mem: dnnl_memory_t?
        data.withUnsafeMutableBytes { _ = dnnl_memory_create(&mem, &md, engine, $0.baseAddress) }
        defer { dnnl_memory_destroy(mem) }
        var desc = dnnl_eltwise_desc_t()
        XCTAssertEqual(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, dnnl_eltwise_relu, &md, 0, 0), dnnl_success)
        var pd: dnnl_primitive_desc_t?
        XCTAssertEqual(dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil), dnnl_success)
        var prim: dnnl_primitive_t?
        XCTAssertEqual(dnnl_primitive_create(&prim, pd), dnnl_success)
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: mem), dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: mem)]
        data.withUnsafeMutableBytes { buf in
            dnnl_memory_set_data_handle(mem, buf.baseAddress)
            XCTAssertEqual(dnnl_primitive_execute(prim, stream, 2, &args), dnnl_success)
            dnnl_stream_wait(stream)
        }
        XCTAssertEqual(data, [0, 0, 0.5, 3])
        dnnl_primitive_destroy(prim)
        dnnl_primitive_desc_destroy(pd)
    }
}
