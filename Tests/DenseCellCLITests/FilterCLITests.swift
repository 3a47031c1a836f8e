import XCTest

/// HDF5 filters from the command line: what densecell decodes itself works without any plugin,
/// and a filter whose plugin is missing is named in one line, never called corruption.
final class FilterCLITests: XCTestCase {
    var file: String { CLI.fixtures + "/h5py-filters.h5" }
    /// HDF5 finds no plugins at all.
    let noPlugins = ["HDF5_PLUGIN_PATH": "/nonexistent-densecell-plugins"]

    func testLZFAndZstdNeedNoPlugin() throws {
        for dataset in ["/lzf/uint16", "/zstd/float32"] {
            let r = try CLI.run(["info", file + ":" + dataset], environment: noPlugins)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("range "), r.stdout)
        }
    }

    func testAMissingPluginIsNamed() throws {
        let cases = [("/blosc_lz4/uint8", "uses HDF5 filter 32001 (blosc), not available here (Debian's hdf5-filter-plugin-blosc-serial provides it)"),
                     ("/bitshuffle_lz4/uint8", "uses HDF5 filter 32008 (bitshuffle)"),
                     ("/lz4/uint8", "uses HDF5 filter 32004 (lz4)")]
        for (dataset, message) in cases {
            let r = try CLI.run(["evaluate", file + ":" + dataset, file + ":" + dataset], environment: noPlugins)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertFalse(r.stderr.contains("corrupt"), r.stderr)
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
        }
    }
}
