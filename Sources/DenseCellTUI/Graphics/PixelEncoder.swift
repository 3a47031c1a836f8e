import CChafa
import DenseCellCore

/// Turns a pane raster into the escape sequence of an image protocol, through libchafa.
enum PixelEncoder {
    /// The raster size the protocol shows over `cols`×`rows` cells without rescaling: the full
    /// pixel area, except that sixel images are whole bands of six rows.
    static func imageSize(_ mode: GraphicsMode, cols: Int, rows: Int, cell: CellSize) -> (width: Int, height: Int) {
        let width = cols * cell.width, height = rows * cell.height
        return (width, mode == .sixel ? height / 6 * 6 : height)
    }

    /// The escape sequence drawing `canvas` at the cursor over `cols`×`rows` cells, or nothing
    /// for half blocks or when libchafa cannot encode it. `canvas` should be `imageSize`.
    static func encode(_ canvas: RGBCanvas, mode: GraphicsMode, cols: Int, rows: Int, cell: CellSize) -> [UInt8] {
        let pixelMode: Int32
        switch mode {
        case .blocks: return []
        case .sixel: pixelMode = dc_chafa_pixel_mode_sixels()
        case .kitty: pixelMode = dc_chafa_pixel_mode_kitty()
        case .iterm2: pixelMode = dc_chafa_pixel_mode_iterm2()
        }
        guard canvas.width > 0, canvas.height > 0 else { return [] }
        var length = 0
        let encoded = canvas.pixels.withUnsafeBufferPointer { p in
            dc_chafa_encode(p.baseAddress, Int32(canvas.width), Int32(canvas.height), pixelMode, Int32(cols), Int32(rows),
                            Int32(cell.width), Int32(cell.height), &length)
        }
        guard let encoded else { return [] }
        defer { dc_chafa_free(encoded) }
        return [UInt8](UnsafeRawBufferPointer(start: encoded, count: length))
    }
}
