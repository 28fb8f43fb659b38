import CTGDomain
import CTGProjections
import EventLog
import StrictJSON

/// What `verify` checks of each stored event, in seq order, and the replay it feeds:
/// continuity of seqs and versions, the hash chain, the index entries (or their key
/// hashes, for one walk of each index later), and the rules.
///
/// A value with a mutating method rather than a local function over local variables: a
/// local function's captured variables were checked for exclusive access at run time,
/// about ten times per event.
struct LogCheck {
    var result = VerifyResult()
    var projector = ProjectionWriter(MemoryTables())
    /// Each stream's last version seen.
    var versions: [Key: UInt64] = [:]
    /// Per seq, the hashes of the index keys its event should have (quick pass only).
    var keyHashes = (ids: [UInt64](), streams: [UInt64]())
    var expectedSeq: UInt64 = 1
    var previousHash = ChainHash.zero
    let exactIndexes: Bool
    let progress: Progress?

    /// For a log of `events` events; `exactIndexes`: the reading threads looked each
    /// event's index entries up, else their key hashes are kept here.
    init(exactIndexes: Bool, events: Int, progress: Progress?) {
        self.exactIndexes = exactIndexes
        self.progress = progress
        if !exactIndexes { keyHashes = ([UInt64](repeating: 0, count: events), [UInt64](repeating: 0, count: events)) }
    }

    private mutating func fail(_ seq: UInt64, _ message: String) {
        if result.firstBadSeq == nil { result.firstBadSeq = seq }
        result.problems.append("seq \(seq): \(message)")
    }

    /// Checks and replays the event at `parsed`; false at the first problem (recorded in
    /// `result`), after which nothing more is checked.
    mutating func check(_ parsed: UnsafePointer<ParsedRecord>) -> Bool {
        let seq = parsed.pointee.seq
        let record = parsed.pointee.record
        guard seq == expectedSeq else {
            fail(expectedSeq, "missing: the log jumps from seq \(expectedSeq - 1) to \(seq)")
            return false
        }
        guard let record else {
            fail(seq, "the stored record cannot be decoded")
            return false
        }
        guard record.prevHashDigest == previousHash else {
            fail(seq, "prevHash \(Hex.string(record.prevHash)) is not the hash \(Hex.string(previousHash.bytes)) of seq \(seq - 1)")
            return false
        }
        guard parsed.pointee.hashMatches else {
            fail(seq, "content does not match its hash \(Hex.string(record.hash)) (recomputed \(Hex.string(record.recomputedHash.bytes)))")
            return false
        }
        let envelope: Envelope
        do {
            envelope = try ParsedRecord.envelope(parsed)
        } catch {
            fail(seq, "the stored event is not a valid envelope: \(error)")
            return false
        }
        // The stream's key and hash were made by the reading thread; one lookup finds the
        // version and the place to update it.
        let key = envelope.streamKey
        let place = versions.index(forKey: key)
        let expectedVersion = (place.map { versions.values[$0] } ?? 0) + 1
        guard record.version == expectedVersion else {
            fail(seq, "version \(record.version) of stream \(envelope.stream), expected \(expectedVersion)")
            return false
        }
        if let place { versions.values[place] = record.version } else { versions[key] = record.version }
        if !exactIndexes {
            // seq ≤ the snapshot's last: the pipeline stops there.
            keyHashes.ids[Int(seq) - 1] = parsed.pointee.indexKeyHashes.id
            keyHashes.streams[Int(seq) - 1] = parsed.pointee.indexKeyHashes.stream
        }
        // Looked up by the reading threads in the exact pass (`ParsedRecord.misIndex`).
        switch parsed.pointee.misIndex {
        case .stream?:
            fail(seq, "the stream index does not point \(envelope.stream) version \(record.version) to this seq")
            return false
        case .id?:
            fail(seq, "the id index does not point event \(envelope.id) to this seq")
            return false
        case nil:
            break
        }
        do {
            try projector.apply(envelope, decoded: parsed.pointee.event, at: Rules.Position(seq: seq, version: record.version))
        } catch {
            fail(seq, "the event does not pass the rules on replay: \(error)")
            return false
        }
        previousHash = record.hashDigest
        expectedSeq += 1
        result.events += 1
        progress?.advance()
        return true
    }
}
