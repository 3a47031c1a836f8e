// Viewer tests: actions in, screen grids out; no terminal needed.
import XCTest
