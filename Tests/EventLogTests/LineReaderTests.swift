import EventLog
import Foundation
import Testing

@Suite("Reading lines, whole or by byte ranges")
struct LineReaderTests {
    static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "lines-" + UUID().uuidString
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The lines of `path` starting in [from, until), with their numbers in the range.
    static func lines(_ path: String, from: Int, until: Int) throws -> [(Int, String)] {
        let reader = try LineReader(path: path)
        try reader.restrict(from: from, until: until)
        var out: [(Int, String)] = []
        while try reader.next({ out.append((reader.lineNumber, String(decoding: $0, as: UTF8.self))) }) {}
        return out
    }

    @Test("splitting a file at every byte into two ranges gives each line once, in order, with the same numbers")
    func everySplitPoint() throws {
        let text = "a1\n\nbb22\r\nccc333\n\n\ndddd\neeeee"  // blank lines, CRLF, no final newline
        let path = try Self.file(text)
        defer { unlink(path) }
        let whole = try Self.lines(path, from: 0, until: .max)
        #expect(whole.map(\.1) == ["a1", "", "bb22\r", "ccc333", "", "", "dddd", "eeeee"])
        for split in 0...text.utf8.count {
            let first = try Self.lines(path, from: 0, until: split)
            let second = try Self.lines(path, from: split, until: .max)
            #expect(first.map(\.1) + second.map(\.1) == whole.map(\.1), "split at \(split)")
            #expect(second.map { $0.0 + first.count } == whole.suffix(second.count).map(\.0), "split at \(split)")
        }
    }

    @Test("a range that starts inside a line longer than the limit skips it; the range holding its start refuses it")
    func longLineAcrossRanges() throws {
        let text = "ok\n" + String(repeating: "x", count: 300) + "\nafter\n"
        let path = try Self.file(text)
        defer { unlink(path) }
        let reader = try LineReader(path: path, maxLineBytes: 100)
        try reader.restrict(from: 50, until: .max)
        var tail: [String] = []
        while try reader.next({ tail.append(String(decoding: $0, as: UTF8.self)) }) {}
        #expect(tail == ["after"])
        try reader.restrict(from: 0, until: 50)
        var head: [String] = []
        #expect(throws: Rejection.self) {
            while try reader.next({ head.append(String(decoding: $0, as: UTF8.self)) }) {}
        }
        #expect(head == ["ok"])
        #expect(reader.lineNumber == 2)
    }

    @Test("a line that starts in a range and runs far past its end is read whole, across several reads, and only by that range")
    func longLineStraddlingTheEnd() throws {
        // Lines of 40 000 to 90 000 bytes around range ends 64 KiB apart: each straddling
        // line is longer than what one read takes past a range's end.
        var lines: [String] = []
        for i in 0..<12 { lines.append("\(i):" + String(repeating: Character(UnicodeScalar(UInt8(97 + i))), count: 40_000 + 4_567 * i)) }
        let path = try Self.file(lines.joined(separator: "\n") + "\n")
        defer { unlink(path) }
        let size = lines.reduce(0) { $0 + $1.utf8.count + 1 }
        let step = 64 << 10
        var seen: [String] = []
        for start in stride(from: 0, to: size, by: step) {
            seen += try Self.lines(path, from: start, until: start + step >= size ? .max : start + step).map(\.1)
        }
        #expect(seen == lines)
    }
}
