// libFuzzer targets, built by tools/fuzz.sh with -sanitize=fuzzer (which provides main).
// CTG_FUZZ_TARGET chooses the target: envelope (strict JSON and envelope checks),
// amount (money and decimal parsing), append (the whole append path on a scratch store).
import CTGDomain
import CTGLedger
import EventLog
import Foundation
import StrictJSON

#if CTG_FUZZING
nonisolated(unsafe) private var scratch: Ledger?
nonisolated(unsafe) private var scratchFile = ""
nonisolated(unsafe) private let tape = JSONTape()

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`; hand it to libFuzzer's driver.
@_cdecl("ctg_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var values = argv
    return LLVMFuzzerRunDriver(&count, &values, fuzzOne)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    switch ProcessInfo.processInfo.environment["CTG_FUZZ_TARGET"] ?? "envelope" {
    case "amount":
        let text = String(decoding: bytes, as: UTF8.self)
        if let m = Money(text) {
            // Whatever parses prints back to an amount that parses to the same cents.
            precondition(m.cents >= 0 && m.cents <= Money.maxAmount.cents)
            precondition(Money(m.description)?.cents == m.cents)
        }
        _ = DecimalText.isValid(text)
    case "append":
        if scratch == nil {
            let dir = NSTemporaryDirectory() + "ctg-fuzz-\(getpid())"
            try? FileManager.default.removeItem(atPath: dir)
            scratch = try! Ledger(path: dir, access: .readWrite, mapSize: 64 << 20)
            scratchFile = dir + ".ndjson"
        }
        _ = FileManager.default.createFile(atPath: scratchFile, contents: Data(bytes))
        // Any outcome but a crash, a hang or unbounded memory is fine; the store must verify.
        _ = try? scratch!.importFile(scratchFile, actor: "fuzz")
        precondition((try? scratch!.verify().ok) == true, "store does not verify after fuzz input")
    default:
        for line in bytes.split(separator: 0x0A) {
            do {
                let b = UnsafeBufferPointer(rebasing: line)
                if let envelope = try? Envelope(line: b, defaultActor: "fuzz") {
                    _ = try? DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: envelope.data)
                    // The canonical form of an accepted event parses back to an identical stored form.
                    let again = try! envelope.canonical.withUnsafeBufferPointer { try Envelope(line: $0, defaultActor: nil) }
                    precondition(again.canonical == envelope.canonical)
                    // The stored form, written from the tape (canonical parts copied from the
                    // line), is what the tree writer writes of the event as stored.
                    guard case .object(var stored) = try! JSONParser.parse(b) else { preconditionFailure("an envelope is an object") }
                    stored["ledger"] = nil
                    stored["expectedVersion"] = nil
                    if stored["actor"] == nil { stored["actor"] = "fuzz" }
                    if stored["schema"] == nil { stored["schema"] = 1 }
                    precondition(JSONWriter.canonical(.object(stored)) == envelope.canonical, "the tape's canonical form is not the tree's")
                    // The import's path and a tree given as a value give the same bytes.
                    let (imported, _) = try! Envelope.parsingPayload(line: b, defaultActor: "fuzz", tape: tape)
                    precondition(imported.canonical == envelope.canonical && imported.ledgerOffset == envelope.ledgerOffset)
                    let fromTree = try! Envelope(JSONParser.parse(b), defaultActor: "fuzz")
                    precondition(fromTree.canonical == envelope.canonical && fromTree.ledgerOffset == envelope.ledgerOffset)
                } else {
                    precondition((try? Envelope.parsingPayload(line: b, defaultActor: "fuzz", tape: tape)) == nil, "the import's path accepts what the writer's refuses")
                }
            }
        }
    }
    return 0
}
#else
@main
struct FuzzNotBuilt {
    static func main() {
        print("ctg-fuzz holds libFuzzer targets: build and run them with tools/fuzz.sh")
    }
}
#endif
