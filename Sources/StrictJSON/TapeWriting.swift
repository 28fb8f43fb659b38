extension JSONWriter {
    /// The canonical (JCS) form of the value at node `i` of a tape: values already
    /// canonical in the parsed text are copied from it, the rest written anew.
    public static func writeCanonical(_ tape: JSONTape.View, at i: Int, into out: inout CanonicalBuffer) {
        let node = tape[i]
        if node.isCanonical {
            out.append(tape.raw(i))
            return
        }
        switch node.kind {
        case .object:
            writeCanonical(tape, object: i, adding: [], skipping: 0, into: &out)
        case .array:
            out.append(UInt8(ascii: "["))
            var e = i + 1
            for n in 0..<Int(node.count) {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                writeCanonical(tape, at: e, into: &out)
                e = Int(tape[e].next)
            }
            out.append(UInt8(ascii: "]"))
        case .string:
            writeString(bytes: tape.text(i), into: &out)
        case .integer:
            let value = Int64(bitPattern: node.bits)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            DecimalDigits.with(value.magnitude) { out.append($0) }
        case .bool:
            out.append(node.bits != 0 ? "true" : "false")
        case .null:
            out.append("null")
        }
    }

    /// The object at node `object` in JCS key order, without the members whose ordinal is
    /// a bit of `skip`, with `extra` members: an object written as changed without making
    /// the changed copy. With `mark`, returns where in `out` the first member whose key
    /// sorts after `mark` starts (nil when none does): where a member of that key goes.
    @discardableResult
    public static func writeCanonical(
        _ tape: JSONTape.View, object: Int, adding extra: [JSONMember], skipping skip: UInt64, into out: inout CanonicalBuffer,
        offsetAfterKey mark: StaticString? = nil
    ) -> Int? {
        let members = Int(tape[object].count)
        precondition(skip == 0 || members <= 64, "only the first 64 members can be left out")
        return withUnsafeTemporaryAllocation(of: (prefix: UInt64, m: Int).self, capacity: members + extra.count) { order in
            // A member is its key node's index; an extra one is -1 - its index in `extra`.
            // Each carries its key's prefix, which decides almost every comparison
            // without reading a key (see `keyPrecedes`).
            func keyBytes(_ m: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
                m >= 0 ? body(tape.text(m)) : extra[-1 - m].key.withUTF8Bytes(body)
            }
            func precedes(_ a: (prefix: UInt64, m: Int), _ b: (prefix: UInt64, m: Int)) -> Bool {
                if a.prefix != b.prefix && a.prefix != JSONMember.unordered && b.prefix != JSONMember.unordered { return a.prefix < b.prefix }
                return keyBytes(a.m) { x in keyBytes(b.m) { y in utf16Precedes(bytes: x, y) } }
            }
            // Insertion sort: objects have a handful of members, often nearly in order.
            var count = 0
            func insert(_ entry: (prefix: UInt64, m: Int)) {
                var j = count
                while j > 0 && precedes(entry, order[j - 1]) {
                    order[j] = order[j - 1]
                    j -= 1
                }
                order[j] = entry
                count += 1
            }
            var k = object + 1
            for n in 0..<members {
                if n >= 64 || skip & (1 << UInt64(n)) == 0 { insert((tape[k].bits, k)) }
                k = tape.nextMember(after: k)
            }
            for e in extra.indices { insert((extra[e].keyPrefix, -1 - e)) }
            var offset: Int?
            out.append(UInt8(ascii: "{"))
            for n in 0..<count {
                let m = order[n].m
                if n > 0 { out.append(UInt8(ascii: ",")) }
                if let mark, offset == nil {
                    let after = mark.withUTF8Buffer { mark in keyBytes(m) { utf16Precedes(bytes: mark, $0) } }
                    if after { offset = out.count }
                }
                if m >= 0 {
                    if tape[m].isCanonical { out.append(tape.raw(m)) } else { writeString(bytes: tape.text(m), into: &out) }
                    out.append(UInt8(ascii: ":"))
                    writeCanonical(tape, at: m + 1, into: &out)
                } else {
                    extra.withUnsafeBufferPointer { writeMember(at: $0.baseAddress! + (-1 - m), into: &out) }
                }
            }
            out.append(UInt8(ascii: "}"))
            return offset
        }
    }
}
