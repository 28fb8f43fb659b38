import Crypto
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
    public let prevHash: [UInt8]
    public let hash: [UInt8]
    public let canonical: [UInt8]
    public let ledgerOffset: Int

    public static let zeroHash = [UInt8](repeating: 0, count: 32)

    init(seq: UInt64, version: UInt64, recordedAt: String, prevHash: [UInt8], hash: [UInt8], canonical: [UInt8], ledgerOffset: Int) {
        self.seq = seq
        self.version = version
        self.recordedAt = recordedAt
        self.prevHash = prevHash
        self.hash = hash
        self.canonical = canonical
        self.ledgerOffset = ledgerOffset
    }

    /// A new record whose hash continues `prefixHasher`, the state after the canonical
    /// bytes before the `ledger` member (see `Envelope.prefixHasher`).
    public convenience init(seq: UInt64, version: UInt64, recordedAt: String, prevHash: [UInt8], canonical: [UInt8], ledgerOffset: Int, prefixHasher: SHA256) {
        self.init(
            seq: seq, version: version, recordedAt: recordedAt, prevHash: prevHash,
            hash: EventRecord.finishHash(prefixHasher, canonical: canonical, ledgerOffset: ledgerOffset, seq: seq, version: version, recordedAt: recordedAt, prevHash: prevHash),
            canonical: canonical, ledgerOffset: ledgerOffset)
    }

    /// The SHA-256 of the exported event without `ledger.hash`, per spec §2.
    public static func computeHash(
        canonical: [UInt8], ledgerOffset: Int, seq: UInt64, version: UInt64, recordedAt: String, prevHash: [UInt8]
    ) -> [UInt8] {
        finishHash(Envelope.hashPrefix(canonical, ledgerOffset: ledgerOffset), canonical: canonical, ledgerOffset: ledgerOffset, seq: seq, version: version, recordedAt: recordedAt, prevHash: prevHash)
    }

    static func finishHash(
        _ prefix: SHA256, canonical: [UInt8], ledgerOffset: Int, seq: UInt64, version: UInt64, recordedAt: String, prevHash: [UInt8]
    ) -> [UInt8] {
        var hasher = prefix
        hasher.update(data: ledgerMember(hash: nil, prevHash: prevHash, recordedAt: recordedAt, seq: seq, version: version))
        canonical.withUnsafeBytes { b in
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: b[ledgerOffset...]))
        }
        return Array(hasher.finalize())
    }

    /// The recomputed hash, to compare with the stored one.
    public var recomputedHash: [UInt8] {
        EventRecord.computeHash(
            canonical: canonical, ledgerOffset: ledgerOffset, seq: seq, version: version,
            recordedAt: recordedAt, prevHash: prevHash)
    }

    /// `"ledger":{…},` in canonical key order, hash first when given.
    static func ledgerMember(hash: [UInt8]?, prevHash: [UInt8], recordedAt: String, seq: UInt64, version: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(240)
        out.append(contentsOf: #""ledger":{"#.utf8)
        if let hash {
            out.append(contentsOf: #""hash":""#.utf8)
            Hex.append(hash, to: &out)
            out.append(contentsOf: #"","#.utf8)
        }
        out.append(contentsOf: #""prevHash":""#.utf8)
        Hex.append(prevHash, to: &out)
        out.append(contentsOf: #"","recordedAt":""#.utf8)
        out.append(contentsOf: recordedAt.utf8)
        out.append(contentsOf: #"","seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: #","version":"#.utf8)
        out.append(contentsOf: String(version).utf8)
        out.append(contentsOf: "},".utf8)
        return out
    }

    /// The exported line (canonical JSON with the `ledger` object), without newline.
    public var exportLine: [UInt8] {
        var out = [UInt8](canonical[0..<ledgerOffset])
        out.reserveCapacity(canonical.count + 260)
        out.append(contentsOf: EventRecord.ledgerMember(hash: hash, prevHash: prevHash, recordedAt: recordedAt, seq: seq, version: version))
        out.append(contentsOf: canonical[ledgerOffset...])
        return out
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8 + 64 + 1 + recordedAt.utf8.count + 4 + canonical.count)
        withUnsafeBytes(of: version.littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: prevHash)
        out.append(contentsOf: hash)
        out.append(UInt8(recordedAt.utf8.count))
        out.append(contentsOf: recordedAt.utf8)
        withUnsafeBytes(of: UInt32(ledgerOffset).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: canonical)
        return out
    }

    /// Decodes a stored value; nil when its layout is damaged.
    public static func decode(seq: UInt64, _ bytes: UnsafeRawBufferPointer) -> EventRecord? {
        guard bytes.count >= 8 + 64 + 1 else { return nil }
        let version = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let prevHash = [UInt8](bytes[8..<40])
        let hash = [UInt8](bytes[40..<72])
        let tsLength = Int(bytes[72])
        let tsEnd = 73 + tsLength
        guard bytes.count >= tsEnd + 4 else { return nil }
        let recordedAt = String(decoding: bytes[73..<tsEnd], as: UTF8.self)
        let offset = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: tsEnd, as: UInt32.self)))
        let canonical = [UInt8](bytes[(tsEnd + 4)...])
        guard offset > 0, offset < canonical.count else { return nil }
        return EventRecord(
            seq: seq, version: version, recordedAt: recordedAt, prevHash: prevHash, hash: hash,
            canonical: canonical, ledgerOffset: offset)
    }

    /// The stored form parsed back into an envelope (for replay and queries).
    public func envelope() throws(Rejection) -> Envelope {
        try Envelope(stored: canonical, ledgerOffset: ledgerOffset)
    }
}

/// Lowercase hexadecimal, as the hash chain writes hashes.
public enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
    }

    public static func string(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
