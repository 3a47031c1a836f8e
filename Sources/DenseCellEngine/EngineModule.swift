// DenseCellEngine: tensors on oneDNN, the 2D–3D networks, model files, tiled ensemble inference.
import DenseCellCore
