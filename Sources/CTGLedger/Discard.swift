import Dispatch

/// Lets go of a large structure on another thread, for a caller whose answer no longer
/// depends on it: freeing a verify's in-memory replay of 200 000 events took ~0.1 s of
/// the command's time after the answer was known. A command that exits first leaves
/// the memory to the system; a long-lived process frees it in the background.
enum Discard {
    static func later<T>(_ value: consuming T) {
        let box = Box(value)
        DispatchQueue.global(qos: .utility).async { box.drop() }
    }

    /// Owns the value until `drop()`; nothing else reaches it once it is boxed.
    private final class Box<T>: @unchecked Sendable {
        private var value: T?
        init(_ value: consuming T) { self.value = value }
        func drop() { value = nil }
    }
}
