import DenseCellCore
import DenseCellIO
import Foundation

/// A region whose labels are final.
public struct SegmentationTile: Sendable {
    /// The region, in voxel coordinates of the volume.
    public var box: Box3
    /// The region's final labels, shaped like `box`.
    public var labels: Volume<UInt8>
    /// A tile of final labels for `box`.
    public init(box: Box3, labels: Volume<UInt8>) { self.box = box; self.labels = labels }
}

/// What the viewer needs from an ensemble: labels for a region, tile by tile.
public protocol SegmentationProvider: AnyObject, Sendable {
    /// Identifies the models (their checksums), so cached results are reused only for them.
    var cacheKey: String { get }
    /// A few words for the footer, e.g. "3 models".
    var summary: String { get }
    /// Segments `roi` of the image on the calling thread, reading it slab by slab. Reports
    /// progress with the tiles as they become final (together they cover `roi`) and checks
    /// `cancellation` between tiles (throwing `CancelledError` when set).
    /// - Parameter normalization: the whole image's mean and deviation, when already known
    ///   (else the provider finds them in one pass over the image).
    func segment(_ image: VolumeSource, roi: Box3, normalization: (mean: Float, std: Float)?, cancellation: CancelToken,
                 progress: @escaping @Sendable (_ voxelsDone: Int, _ voxelsTotal: Int, _ tile: SegmentationTile?) -> Void) throws
}
