// swift-tools-version:6.0
import PackageDescription

// Layers point one way: Core ← IO, Engine ← TUI ← densecell (docs/ARCHITECTURE.md, "Layers").
// Swift 5 language mode: the engine and the viewer share buffers across threads through
// explicit locks and unsafe pointers; strict Sendable checking would add ceremony, not safety.
let package = Package(
    name: "densecell",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "densecell", targets: ["densecell"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Thin C shims over the system libraries (macros exported as functions).
        // The chunk codecs of Zarr and N5 (zlib/gzip, zstd, lz4, blosc, bzip2, xz).
        .target(name: "CCodecs", linkerSettings: [.linkedLibrary("z"), .linkedLibrary("zstd"), .linkedLibrary("lz4"),
                                                  .linkedLibrary("blosc"), .linkedLibrary("bz2"), .linkedLibrary("lzma")]),
        .target(name: "CHDF5", linkerSettings: [.linkedLibrary("hdf5_serial"), .linkedLibrary("z"), .linkedLibrary("lzf"), .linkedLibrary("zstd")]),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        .target(name: "CTIFF", linkerSettings: [.linkedLibrary("tiff")]),
        .target(name: "CNcurses", linkerSettings: [.linkedLibrary("ncursesw")]),
        .target(name: "CDNNL", linkerSettings: [.linkedLibrary("dnnl")]),
        // libchafa encodes pane rasters as sixel / kitty / iTerm2 images; its header needs glib's.
        .systemLibrary(name: "CChafa", pkgConfig: "chafa", providers: [.apt(["libchafa-dev", "libglib2.0-dev"])]),
        // libsixel encodes sixel panes in the palette the viewer chose for them.
        .systemLibrary(name: "CSixel", pkgConfig: "libsixel", providers: [.apt(["libsixel-dev"])]),

        .target(name: "DenseCellCore"),
        // Shipped files (bitmap font, demo models), reached through Assets.url(_:).
        .target(name: "DenseCellAssets", path: "Assets", resources: [.copy("font"), .copy("models")]),
        .target(name: "DenseCellIO", dependencies: ["DenseCellCore", "DenseCellAssets", "CHDF5", "CCodecs", "CPNG", "CTIFF"]),
        // The engine's inner loops run without bounds checks in release builds only; debug and
        // test builds keep every check.
        .target(name: "DenseCellEngine", dependencies: ["DenseCellCore", "DenseCellIO", "CDNNL"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "DenseCellTUI", dependencies: ["DenseCellCore", "DenseCellIO", "DenseCellEngine", "CNcurses", "CChafa", "CSixel"]),
        // HTML reports with SVG charts: reads studies through IO, counts with Core's metrics.
        .target(name: "DenseCellReport", dependencies: ["DenseCellCore", "DenseCellIO"]),
        .executableTarget(name: "densecell", dependencies: [
            "DenseCellCore", "DenseCellIO", "DenseCellEngine", "DenseCellTUI", "DenseCellReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "DenseCellCoreTests", dependencies: ["DenseCellCore"]),
        .testTarget(name: "DenseCellIOTests", dependencies: ["DenseCellIO", "DenseCellCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "DenseCellEngineTests", dependencies: ["DenseCellEngine", "DenseCellIO", "DenseCellCore"],
                    exclude: ["Fixtures"]),   // read by path: scipy reference weights and their script
        .testTarget(name: "DenseCellTUITests", dependencies: ["DenseCellTUI", "DenseCellCore", "DenseCellIO", "CNcurses"]),
        // Reading XHTML and SVG back, shared by the report's unit and command-line tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DenseCellReportTests", dependencies: ["DenseCellReport", "DenseCellIO", "DenseCellCore", "TestSupport"]),
        .testTarget(name: "DenseCellCLITests", dependencies: ["DenseCellIO", "DenseCellCore", "TestSupport"],
                    exclude: ["pty-terminal.py", "check-ome-zarr.py"]),   // run by path: a scripted terminal for the graphics tests; zarr-python's check of convert's stores
        // Each C library links and answers a real call, so a missing one fails loudly.
        .testTarget(name: "SystemLibraryTests", dependencies: ["CHDF5", "CCodecs", "CPNG", "CTIFF", "CNcurses", "CDNNL", "CChafa", "CSixel"]),
    ],
    swiftLanguageModes: [.v5]
)
