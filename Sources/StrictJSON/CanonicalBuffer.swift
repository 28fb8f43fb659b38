/// Memory that canonical JSON is written into, grown by the writer itself: room is
/// checked once per value written, not once per byte as appending to an array does.
/// The canonical form of every event is written here, so this is a hot path.
public struct CanonicalBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    public var bytes: [UInt8] { [UInt8](UnsafeBufferPointer(start: base, count: count)) }

    /// Calls `body` with the bytes written so far, without copying them.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Makes room for `n` more bytes; the `put`s that follow may not write more.
    @inline(__always) public mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    @inline(never) private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Writes one byte into room made by `reserve`.
    @inline(__always) public mutating func put(_ byte: UInt8) {
        assert(count < capacity)
        base[count] = byte
        count += 1
    }

    @inline(__always) mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        assert(count + bytes.count <= capacity)
        if let source = bytes.baseAddress { (base + count).update(from: source, count: bytes.count) }
        count += bytes.count
    }

    /// Writes one byte with its own room check.
    @inline(__always) public mutating func append(_ byte: UInt8) {
        reserve(1)
        put(byte)
    }

    /// Writes `text` (ASCII) with its own room check.
    public mutating func append(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount)
        put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes `bytes` with their own room check.
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        put(bytes)
    }
}

/// The decimal digits of an unsigned integer, written on the stack: for the integers
/// written once per event (seq, version, schema), without a `String` in between.
public enum DecimalDigits {
    public static func with<R>(_ value: UInt64, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        return withUnsafeMutableBytes(of: &digits) { d in
            var v = value
            var i = d.count
            repeat {
                i -= 1
                d[i] = 0x30 + UInt8(v % 10)
                v /= 10
            } while v > 0
            return body(UnsafeBufferPointer(rebasing: d.bindMemory(to: UInt8.self)[i...]))
        }
    }
}
