import Foundation

enum DispatchQueueConcurrent {
    /// `DispatchQueue.concurrentPerform`, run inline for a single iteration.
    static func perform(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations == 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
    }
}
