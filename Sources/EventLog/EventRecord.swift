import Crypto
#if canImport(Glibc)
import Glibc
#endif
import StrictJSON

/// One stored event: its stored form and the ledger fields appending gave it.
///
/// Stored value layout (the key is `seq` as 8 big-endian bytes):
/// `version` u64 LE · `prevHash` 32 bytes · `hash` 32 bytes · `recordedAt` length u8 and
/// ASCII bytes · `ledgerOffset` u32 LE · the canonical stored form.
///
/// A class with constant fields, for the same reason as `Envelope`: records travel
/// between threads and layers, retained once rather than field by field.
public final class EventRecord: Sendable {
    public let seq: UInt64
    public let version: UInt64
    public let recordedAt: String
    /// The hashes held inline (no array each per record read back): verify reads them
    /// for every record, and compares them.
    public let prevHashDigest: ChainHash
    public let hashDigest: ChainHash
    public let canonical: [UInt8]
    public let ledgerOffset: Int

    public var prevHash: [UInt8] { prevHashDigest.bytes }
    public var hash: [UInt8] { hashDigest.bytes }

    public static let zeroHash = [UInt8](repeating: 0, count: 32)

    init(seq: UInt64, version: UInt64, recordedAt: String, prevHash: ChainHash, hash: ChainHash, canonical: [UInt8], ledgerOffset: Int) {
        self.seq = seq
        self.version = version
        self.recordedAt = recordedAt
        self.prevHashDigest = prevHash
        self.hashDigest = hash
        self.canonical = canonical
        self.ledgerOffset = ledgerOffset
    }

    /// The hash of an event (spec §2: the SHA-256 of its exported form without
    /// `ledger.hash`), from its canonical stored form and its ledger fields, written into
    /// the 32 bytes of `digest`.
    static func hash(
        canonical: UnsafeRawBufferPointer, ledgerOffset: Int, seq: UInt64, version: UInt64, recordedAt: UnsafeRawBufferPointer,
        prevHash: ChainHash, into digest: UnsafeMutableRawBufferPointer
    ) {
        precondition(digest.count == 32 && ledgerOffset > 0 && ledgerOffset < canonical.count)
        var hasher = SHA256()
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: canonical[..<ledgerOffset]))
        // The ledger member is built on the stack: this runs once per event.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ledgerMemberCapacity) { buffer in
            var out = ByteWriter(buffer)
            prevHash.withUnsafeBytes { prevHash in
                out.ledgerMember(hash: nil, prevHash: prevHash, recordedAt: recordedAt, seq: seq, version: version)
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(out.written))
        }
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: canonical[ledgerOffset...]))
        hasher.finalize().withUnsafeBytes { digest.copyMemory(from: $0) }
    }

    /// The SHA-256 of the exported event without `ledger.hash` (spec §2), recomputed
    /// from the stored bytes, to compare with the stored hash.
    public var recomputedHash: ChainHash {
        ChainHash { digest in
            canonical.withUnsafeBytes { canonical in
                recordedAt.withUTF8Bytes { recordedAt in
                    EventRecord.hash(
                        canonical: canonical, ledgerOffset: ledgerOffset, seq: seq, version: version,
                        recordedAt: UnsafeRawBufferPointer(recordedAt), prevHash: prevHashDigest, into: digest)
                }
            }
        }
    }

    /// Chains a stored value written with blank hashes (see `encode`): works out the hash
    /// of the event it holds, at `seq` after an event of hash `prevHash`, from the value's
    /// own bytes — so the hash covers what is stored —, writes both hashes into it, and
    /// returns the new one.
    static func chain(_ value: UnsafeMutableRawBufferPointer, seq: UInt64, after prevHash: ChainHash) -> ChainHash {
        let bytes = UnsafeRawBufferPointer(value)
        let layout = Layout(bytes)!
        let hash = ChainHash { digest in
            EventRecord.hash(
                canonical: UnsafeRawBufferPointer(rebasing: bytes[layout.canonicalStart...]), ledgerOffset: layout.ledgerOffset,
                seq: seq, version: layout.version, recordedAt: UnsafeRawBufferPointer(rebasing: bytes[layout.recordedAt]),
                prevHash: prevHash, into: digest)
        }
        prevHash.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: value[8..<40]).copyMemory(from: $0) }
        hash.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: value[40..<72]).copyMemory(from: $0) }
        return hash
    }

    /// The canonical stored form inside a stored value, nil when its layout is damaged;
    /// read without the hashes (which another thread may be writing, see `ChainHasher`).
    static func storedCanonical(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        Layout(value).map { UnsafeRawBufferPointer(rebasing: value[$0.canonicalStart...]) }
    }

    /// Where the parts of a stored value are (see the layout above).
    private struct Layout {
        let version: UInt64
        let recordedAt: Range<Int>
        let ledgerOffset: Int
        let canonicalStart: Int

        @inline(__always)
        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= 8 + 64 + 1 else { return nil }
            version = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            let tsEnd = 73 + Int(bytes[72])
            guard bytes.count >= tsEnd + 4 else { return nil }
            recordedAt = 73..<tsEnd
            ledgerOffset = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: tsEnd, as: UInt32.self)))
            canonicalStart = tsEnd + 4
            guard ledgerOffset > 0, ledgerOffset < bytes.count - canonicalStart else { return nil }
        }
    }

    /// The most bytes a ledger member takes: two hashes, a recording time of at most
    /// 255 bytes, two 20-digit numbers and the names.
    static let ledgerMemberCapacity = 512

    /// `"ledger":{…},` in canonical key order, hash first when given.
    static func ledgerMember(hash: ChainHash?, prevHash: ChainHash, recordedAt: String, seq: UInt64, version: UInt64) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: ledgerMemberCapacity) { buffer, count in
            var out = ByteWriter(buffer)
            prevHash.withUnsafeBytes { prevHash in
                out.ledgerMember(hash: hash, prevHash: prevHash, recordedAt: recordedAt, seq: seq, version: version)
            }
            count = out.count
        }
    }

    /// The exported line (canonical JSON with the `ledger` object), without newline.
    public var exportLine: [UInt8] {
        var out = [UInt8](canonical[0..<ledgerOffset])
        out.reserveCapacity(canonical.count + 260)
        out.append(contentsOf: EventRecord.ledgerMember(hash: hashDigest, prevHash: prevHashDigest, recordedAt: recordedAt, seq: seq, version: version))
        out.append(contentsOf: canonical[ledgerOffset...])
        return out
    }

    /// The size of a stored value (see the layout above).
    static func encodedCount(recordedAt: String, canonical: [UInt8]) -> Int { 8 + 64 + 1 + recordedAt.utf8.count + 4 + canonical.count }

    /// Writes a stored value into `buffer` of `encodedCount` bytes (in place in the
    /// database page, so the value is copied once), from its parts, with both hashes
    /// blank: `chain` writes them (appending writes no `EventRecord` first).
    static func encode(version: UInt64, recordedAt: String, ledgerOffset: Int, canonical: [UInt8], into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count == encodedCount(recordedAt: recordedAt, canonical: canonical))
        var out = ByteWriter(buffer.bindMemory(to: UInt8.self))
        withUnsafeBytes(of: version.littleEndian) { out.append($0) }
        ChainHash.zero.withUnsafeBytes { out.append($0) }
        ChainHash.zero.withUnsafeBytes { out.append($0) }
        out.append(UInt8(recordedAt.utf8.count))
        out.append(string: recordedAt)
        withUnsafeBytes(of: UInt32(ledgerOffset).littleEndian) { out.append($0) }
        canonical.withUnsafeBytes { out.append($0) }
    }

    /// Decodes a stored value; nil when its layout is damaged. `sameBatch`: the recording
    /// time of a record read just before, taken instead of a new string when the bytes
    /// are the same (all the records of a batch share theirs).
    public static func decode(seq: UInt64, _ bytes: UnsafeRawBufferPointer, sameBatch: String? = nil) -> EventRecord? {
        guard let layout = Layout(bytes) else { return nil }
        let written = UnsafeRawBufferPointer(rebasing: bytes[layout.recordedAt])
        let recordedAt = sameBatch.flatMap { previous in
            previous.withUTF8Bytes { $0.count == written.count && memcmp($0.baseAddress!, written.baseAddress!, written.count) == 0 } ? previous : nil
        } ?? String(decoding: written, as: UTF8.self)
        return EventRecord(
            seq: seq, version: layout.version, recordedAt: recordedAt,
            prevHash: ChainHash(UnsafeRawBufferPointer(rebasing: bytes[8..<40])), hash: ChainHash(UnsafeRawBufferPointer(rebasing: bytes[40..<72])),
            canonical: [UInt8](bytes[layout.canonicalStart...]), ledgerOffset: layout.ledgerOffset)
    }

    /// The stored form parsed back into an envelope (for replay and queries).
    public func envelope() throws(Rejection) -> Envelope {
        try Envelope(stored: canonical, ledgerOffset: ledgerOffset)
    }

    /// The event with a reader of its payload in `tape` (see `Envelope.parsingPayload`).
    public func envelopeAndPayload(tape: JSONTape) throws(Rejection) -> (Envelope, ObjectReader) {
        try Envelope.parsingPayload(stored: canonical, ledgerOffset: ledgerOffset, tape: tape)
    }
}

/// Lowercase hexadecimal, as the hash chain writes hashes.
public enum Hex {
    @inline(__always) static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    public static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        for b in bytes {
            out.append(digit(b >> 4))
            out.append(digit(b & 0xF))
        }
    }

    public static func string(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Writes bytes into a buffer the caller sized, without the capacity checks of an
/// array append: for the few fixed layouts written once per event.
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    var written: UnsafeMutableBufferPointer<UInt8> { UnsafeMutableBufferPointer(rebasing: buffer[0..<count]) }

    mutating func append(_ byte: UInt8) {
        precondition(count < buffer.count, "ByteWriter overflow")
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(count + bytes.count <= buffer.count, "ByteWriter overflow")
        if let source = bytes.baseAddress {
            UnsafeMutableRawPointer(buffer.baseAddress! + count).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A text that is not a literal (a literal goes through the `StaticString` overload
    /// only when this one has another name: Swift prefers `String` for literals).
    mutating func append(string text: String) {
        text.withUTF8Bytes { append(UnsafeRawBufferPointer($0)) }
    }

    mutating func appendHex(_ bytes: UnsafeRawBufferPointer) {
        precondition(count + 2 * bytes.count <= buffer.count, "ByteWriter overflow")
        let out = buffer.baseAddress! + count
        for i in bytes.indices {
            out[2 * i] = Hex.digit(bytes[i] >> 4)
            out[2 * i + 1] = Hex.digit(bytes[i] & 0xF)
        }
        count += 2 * bytes.count
    }

    mutating func appendDecimal(_ value: UInt64) {
        DecimalDigits.with(value) { append(UnsafeRawBufferPointer($0)) }
    }

    /// `"ledger":{…},` in canonical key order, hash first when given.
    mutating func ledgerMember(hash: ChainHash?, prevHash: UnsafeRawBufferPointer, recordedAt: String, seq: UInt64, version: UInt64) {
        recordedAt.withUTF8Bytes { ledgerMember(hash: hash, prevHash: prevHash, recordedAt: UnsafeRawBufferPointer($0), seq: seq, version: version) }
    }

    mutating func ledgerMember(hash: ChainHash?, prevHash: UnsafeRawBufferPointer, recordedAt: UnsafeRawBufferPointer, seq: UInt64, version: UInt64) {
        append(#""ledger":{"#)
        if let hash {
            append(#""hash":""#)
            hash.withUnsafeBytes { appendHex($0) }
            append(#"","#)
        }
        append(#""prevHash":""#)
        appendHex(prevHash)
        append(#"","recordedAt":""#)
        append(recordedAt)
        append(#"","seq":"#)
        appendDecimal(seq)
        append(#","version":"#)
        appendDecimal(version)
        append("},")
    }
}
