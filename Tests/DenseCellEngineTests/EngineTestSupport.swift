// Engine tests: each op and the whole network against plain Swift references.
import XCTest
