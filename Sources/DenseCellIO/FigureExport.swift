import DenseCellCore
import Foundation

/// PNG figures of study slices, shared by `densecell export` and the viewer's `e` key.
///
/// File names are `<study>-z<slice>-<panes>.png`: the study file's name without its extension,
/// the slice index zero-padded to at least three digits (more when the volume has more slices,
/// so names sort in z order), and the panes joined with `+`, each as `image`, the label source
/// name, or `diff-A-B` (characters other than letters, digits, `-`, `_` and `.` become `_`):
/// `platelet-z037-truth.png`, `platelet-z037-image+truth+diff-truth-ensemble.png`.
///
/// The viewer exports what its panes show with, for example:
/// ```swift
/// var options = FigureOptions(alpha: state.alpha, roiY: visibleY, roiX: visibleX,
///                             hiddenClasses: state.hiddenClasses, grayWindow: state.grayWindow)
/// options.heading = FigureExport.defaultHeading(studyPath: path, study: study, z: z, options: options)
/// let written = try FigureExport.export(study: study, studyPath: path, z: z,
///                                       panes: [.image, .labels("truth"), .disagreement("truth", "ensemble")],
///                                       options: options, directory: ".")
/// ```
public enum FigureExport {
    /// Draws slice `z` with the shipped font. Throws `FigureError` for a request that does not
    /// fit the study, `IOError` when the font cannot be read.
    public static func render(study: Study, z: Int, panes: [Pane], options: FigureOptions) throws -> PNGImage {
        let font = try BitmapFont.standard()
        let canvas = try Figure.render(study: study, z: z, panes: panes, options: options, font: font).canvas
        return PNGImage(width: canvas.width, height: canvas.height, channels: 3, pixels: canvas.pixels)
    }

    /// The figure's file name (see the naming rule above); planes other than xy name the plane
    /// and the coordinate along its normal: `platelet-xz-y1000-image+truth.png`.
    public static func fileName(studyPath: String, z: Int, panes: [Pane], sliceCount: Int? = nil, axis: PlaneAxis = .xy) -> String {
        let base = ((studyPath as NSString).lastPathComponent as NSString).deletingPathExtension
        let digits = max(3, String(max(0, (sliceCount ?? 0) - 1)).count)
        let index = String(repeating: "0", count: max(0, digits - String(z).count)) + String(z)
        let plane = axis == .xy ? "" : "-\(axis.rawValue)"
        return "\(base.isEmpty ? "study" : base)\(plane)-\(axis.normalName)\(index)-\(panes.map(\.fileNameComponent).joined(separator: "+")).png"
    }

    /// The heading of a figure: file, slice (or plane), region and voxel size.
    ///
    /// - Parameters:
    ///   - sliceCount: the whole study's slices (planes along the normal) when `study` holds only some of them.
    ///   - axis: the plane `study` was cut along (its resolution then in the plane's order).
    public static func defaultHeading(studyPath: String, study: Study, z: Int, options: FigureOptions, sliceCount: Int? = nil,
                                      axis: PlaneAxis = .xy) -> String {
        let n = axis.normalName, row = PlaneAxis.axisName(axis.rowAxis), column = PlaneAxis.axisName(axis.columnAxis)
        var parts = ["\((studyPath as NSString).lastPathComponent)", "\(axis == .xy ? "" : "\(axis.rawValue) plane at ")\(n) \(z) of \(sliceCount ?? study.shape.z)"]
        if options.roiY != nil || options.roiX != nil {
            let y = options.roiY ?? 0..<study.shape.y, x = options.roiX ?? 0..<study.shape.x
            parts.append("\(row) \(y.lowerBound):\(y.upperBound)  \(column) \(x.lowerBound):\(x.upperBound)")
        }
        if let r = study.resolutionNM, r.count == 3 {
            // Back in (z, y, x) order for the reader.
            var zyx = [0.0, 0, 0]
            zyx[axis.normal] = r[0]; zyx[axis.rowAxis] = r[1]; zyx[axis.columnAxis] = r[2]
            parts.append(zyx.map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%g", $0) }.joined(separator: "×") + " nm voxels (z×y×x)")
            if axis != .xy && r[1] != r[2] { parts.append(String(format: "rows drawn %g× for the voxels' aspect", r[1] / r[2])) }
        }
        if options.scale != 1 { parts.append("scale \(options.scale == options.scale.rounded() ? String(Int(options.scale)) : String(options.scale))") }
        return parts.joined(separator: "  ·  ")
    }

    /// Renders slice `z` and writes it into `directory` (created if needed) under
    /// `fileName(...)`, atomically. Returns the path written.
    ///
    /// - Parameters:
    ///   - firstSlice: the whole study's slice that `study`'s first slice is, when it holds only some.
    ///   - sliceCount: the whole study's slice count then (for the file name's digits).
    ///   - axis: the plane `study` was cut along (`OpenedStudy.plane`); `z` is then its index along the normal.
    @discardableResult
    public static func export(study: Study, studyPath: String, z: Int, panes: [Pane], options: FigureOptions,
                              directory: String, firstSlice: Int = 0, sliceCount: Int? = nil, axis: PlaneAxis = .xy) throws -> String {
        let image = try render(study: study, z: z - firstSlice, panes: panes, options: options)
        try OutputDirectory.create(directory)
        let path = (directory as NSString).appendingPathComponent(fileName(studyPath: studyPath, z: z, panes: panes,
                                                                           sliceCount: sliceCount ?? study.shape.z, axis: axis))
        try image.write(path: path)
        return path
    }

    /// Slices read at a time for figures of `study`: the read budget's slab of the image and every
    /// label source.
    ///
    /// - Throws: `IOError(.tooLarge)` when one slice of them does not fit what a pass may hold.
    public static func sliceBatch(_ study: OpenedStudy) throws(IOError) -> Int {
        guard let image = study.image else { preconditionFailure("figures need the study's image") }
        return try ReadBudget.slabDepth([image] + study.labels.map(\.labels),
                                        bytesPerVoxel: [image.readBytesPerVoxel + 4] + study.labels.map { $0.labels.readBytesPerVoxel + 2 })
    }

    /// Writes one figure per slice of `slices` (see `export`), reading the study a batch of slices
    /// at a time (memory holds one batch, whatever the volume's size) and drawing and compressing
    /// each batch's slices on every core.
    ///
    /// - Parameters:
    ///   - heading: the heading of every figure; nil for `defaultHeading` of each slice.
    ///   - titles: whether figures have a heading at all.
    ///   - progress: called with the figures written so far.
    /// - Returns: the paths written, in z order. When a figure fails, the first error is thrown
    ///   after the batch in flight; the figures written before it stay.
    /// - Throws: `FigureError` for a request that does not fit the study, `IOError` from reading or writing.
    public static func exportSeries(_ study: OpenedStudy, studyPath: String, slices: Range<Int>, panes: [Pane],
                                    options: FigureOptions, heading: String?, titles: Bool, directory: String, axis: PlaneAxis = .xy,
                                    progress: (Int) -> Void = { _ in }) throws -> (paths: [String], error: Error?) {
        if axis != .xy {
            // An xz or yz plane reads a column of blocks across the whole volume: one plane at a time.
            var written: [String] = []
            let depth = axis.depth(study.shape)
            for i in slices {
                let plane = try study.plane(axis, at: i)
                var o = options
                if titles { o.heading = heading ?? defaultHeading(studyPath: studyPath, study: plane, z: i, options: options, sliceCount: depth, axis: axis) }
                do {
                    written.append(try export(study: plane, studyPath: studyPath, z: i, panes: panes, options: o, directory: directory,
                                              firstSlice: i, sliceCount: depth, axis: axis))
                } catch { return (written, error) }
                progress(written.count)
            }
            return (written, nil)
        }
        let batch = try sliceBatch(study)
        let lock = NSLock()
        var written = [String?](repeating: nil, count: slices.count)
        var failure: Error? = nil
        var done = 0
        var first = slices.lowerBound
        while first < slices.upperBound && failure == nil {
            let part = first..<min(slices.upperBound, first + batch)
            let slab = try study.slices(part)
            Parallel.forEach(part.count) { k in
                if lock.withLock({ failure != nil }) { return }
                let z = part.lowerBound + k
                var sliceOptions = options
                if titles {
                    sliceOptions.heading = heading ?? defaultHeading(studyPath: studyPath, study: slab, z: z, options: options,
                                                                     sliceCount: study.shape.z)
                }
                do {
                    let path = try export(study: slab, studyPath: studyPath, z: z, panes: panes, options: sliceOptions,
                                          directory: directory, firstSlice: part.lowerBound, sliceCount: study.shape.z)
                    lock.withLock {
                        written[z - slices.lowerBound] = path
                        done += 1
                        progress(done)
                    }
                } catch {
                    lock.withLock { if failure == nil { failure = error } }
                }
            }
            first = part.upperBound
        }
        return (written.compactMap { $0 }, failure)
    }
}
