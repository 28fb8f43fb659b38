#if canImport(Glibc)
import Glibc
#endif

/// A string compared, hashed and ordered by its exact UTF-8 bytes.
///
/// Swift's `String ==` treats canonically equivalent strings as equal ("é" precomposed
/// equals "e" + combining accent); identities in the ledger (ids, partner keys,
/// beneficiary names) must not, so every identity goes through this type.
public struct Key: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String
    /// The bytes' `ByteHash` under a seed drawn once per process, worked out where the
    /// key is made — for an event's stream, on the thread that parses it — so that a
    /// dictionary lookup hashes nothing, and two keys compared in a lookup are told
    /// apart without reading their bytes when the hashes differ. Its sign bit tells
    /// whether every byte is ASCII (`asciiFlag`).
    public let bytesHash: Int

    public init(_ string: String) {
        self.string = string
        bytesHash = string.withUTF8Bytes { Key.hash(of: $0) }
    }

    /// The key of `string`, whose UTF-8 bytes `utf8` are (where they were read, a parsed
    /// line): made from them, it borrows nothing of the string.
    public init(_ string: String, utf8: UnsafeBufferPointer<UInt8>) {
        precondition(string.utf8.count == utf8.count, "the bytes of another string")
        self.string = string
        bytesHash = Key.hash(of: utf8)
    }

    /// `bytesHash` of these bytes.
    private static func hash(of bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let raw = UnsafeRawBufferPointer(bytes)
        let hash = ByteHash.hash(raw, seed: processSeed)
        return isASCII(raw) ? hash | asciiFlag : hash & ~asciiFlag
    }

    /// Random per process, as `Hasher`'s seed is: input files cannot be made to collide.
    private static let processSeed = Int.random(in: .min ... .max)

    /// Set in `bytesHash` when every byte of the key is ASCII.
    static var asciiFlag: Int { Int.min }

    public static func == (lhs: Key, rhs: Key) -> Bool {
        guard lhs.bytesHash == rhs.bytesHash else { return false }
        // Both ASCII (the flag is part of the hash): `String ==` is then equality of the
        // bytes, and reads them in place, where `sameBytes` retains and releases both
        // strings' storage (four reference counts per dictionary hit).
        return lhs.bytesHash & asciiFlag != 0 ? lhs.string == rhs.string : lhs.string.sameBytes(rhs.string)
    }

    /// Whether every byte is below 0x80, eight bytes at a time.
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var high: UInt64 = 0
        var i = 0
        while i + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(bytes[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytesHash)
    }

    /// What dictionaries and sets hash a key by: the stored hash mixed with the
    /// dictionary's own seed (splitmix64's finaliser, so every bit reaches the buckets).
    public func _rawHashValue(seed: Int) -> Int {
        var h = UInt64(UInt(bitPattern: bytesHash ^ seed))
        h ^= h >> 30
        h &*= 0xBF58_476D_1CE4_E5B9
        h ^= h >> 27
        h &*= 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return Int(bitPattern: UInt(h))
    }

    public static func < (lhs: Key, rhs: Key) -> Bool {
        lhs.string.bytesPrecede(rhs.string)
    }

    public var description: String { string }
}

/// A seeded 64-bit hash of bytes, eight at a time, for the dictionaries that the import
/// consults at every event (streams, conventions, decisions, totals cells): SipHash,
/// `Hasher`'s algorithm, costs several times more on such short keys. It is reached
/// through `Hashable._rawHashValue(seed:)`, which a dictionary calls with its own seed
/// (random per process), so keys from an input file cannot be chosen to collide.
public enum ByteHash {
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: Int) -> Int {
        let m: UInt64 = 0xBF58_476D_1CE4_E5B9
        var h = UInt64(UInt(bitPattern: seed)) ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* m
            h ^= h >> 31
            i += 8
        }
        if i < bytes.count {
            var tail: UInt64 = 0
            for j in i..<bytes.count { tail |= UInt64(bytes[j]) << UInt64(8 * (j - i)) }
            h = (h ^ tail) &* m
            h ^= h >> 31
        }
        // splitmix64's finaliser: every input bit reaches the low bits buckets are taken from.
        h ^= h >> 30
        h &*= m
        h ^= h >> 27
        h &*= 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return Int(bitPattern: UInt(h))
    }
}

extension String {
    /// Calls `body` with the string's UTF-8 bytes, borrowed where they are stored (a
    /// native string): `var copy = s; copy.withUTF8 { … }` retains the storage first and
    /// releases it after, which on the import's per-event paths is measurable.
    @inlinable
    public func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }

    /// Equality of the exact UTF-8 bytes (no canonical equivalence).
    @inlinable
    public func sameBytes(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        if let equal = utf8.withContiguousStorageIfAvailable({ a in
            other.utf8.withContiguousStorageIfAvailable { b in
                a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
            }
        }), let equal {
            return equal
        }
        return utf8.elementsEqual(other.utf8)
    }

    /// Ordering by UTF-8 bytes, the ledger's ordering of keys and ids.
    @inlinable
    public func bytesPrecede(_ other: String) -> Bool {
        if let order = utf8.withContiguousStorageIfAvailable({ a in
            other.utf8.withContiguousStorageIfAvailable { b in
                let common = min(a.count, b.count)
                let c = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return c != 0 ? c < 0 : a.count < b.count
            }
        }), let order {
            return order
        }
        return utf8.lexicographicallyPrecedes(other.utf8)
    }
}
