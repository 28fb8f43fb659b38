import StrictJSON

/// SplitMix64: a small seeded generator, so every random stream can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random but valid CTG streams: a model tracks what each rule needs, so every event
/// generated is one the ledger must accept.
struct RandomStreams {
    var rng: SeededGenerator
    var lines: [String] = []

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    private struct Decision { var id: String; var amount: Int64; var paid: Int64 = 0; var recovered: Int64 = 0; var cancelled = false; var final = false; var year: Int64 }

    static func money(_ cents: Int64) -> String { "\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)" }

    mutating func generate(conventions: Int, eventsPerConvention: Int) -> [String] {
        var builders = (0..<conventions).map { Events("ctg-r\($0)") }
        var decisions: [[Decision]] = Array(repeating: [], count: conventions)
        var actions: [[(String, String)]] = Array(repeating: [], count: conventions)
        var opened = Array(repeating: false, count: conventions)
        var payments = 0, recoveries = 0, meetings = 0
        for _ in 0..<(conventions * eventsPerConvention) {
            let c = Int.random(in: 0..<conventions, using: &rng)
            if !opened[c] {
                lines += builders[c].signedConvention()
                opened[c] = true
                continue
            }
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1, 2:
                let year = Int64.random(in: 2023...2026, using: &rng)
                let id = "d\(c)-\(decisions[c].count)"
                let amount = Int64.random(in: 1...5_000_000, using: &rng)
                lines.append(builders[c].decide(id, year: year, amount: Self.money(amount), scheme: ["prestation_service", "bonus_territoire", "fonds_locaux"].randomElement(using: &rng)!, beneficiary: "B\(decisions[c].count)"))
                decisions[c].append(Decision(id: id, amount: amount, year: year))
            case 3, 4, 5:
                guard let i = decisions[c].indices.randomElement(using: &rng) else { continue }
                var d = decisions[c][i]
                let room = d.cancelled ? 0 : d.amount - d.paid + d.recovered
                if room > 0 {
                    let amount = Int64.random(in: 1...room, using: &rng)
                    payments += 1
                    lines.append(builders[c].pay("p\(payments)", d.id, Self.money(amount), kind: d.final ? "balance" : "advance"))
                    d.paid += amount
                } else if d.paid - d.recovered > (d.cancelled ? 0 : d.amount) {
                    let over = d.paid - d.recovered - (d.cancelled ? 0 : d.amount)
                    recoveries += 1
                    let amount = Int64.random(in: 1...over, using: &rng)
                    lines.append(builders[c].recover("r\(recoveries)", d.id, Self.money(amount)))
                    d.recovered += amount
                }
                decisions[c][i] = d
            case 6:
                guard let i = decisions[c].indices.randomElement(using: &rng), !decisions[c][i].cancelled else { continue }
                let amount = Int64.random(in: 0...6_000_000, using: &rng)
                lines.append(builders[c].revise(decisions[c][i].id, Self.money(amount)))
                decisions[c][i].amount = amount
                decisions[c][i].final = true
            case 7:
                guard let i = decisions[c].indices.randomElement(using: &rng), !decisions[c][i].cancelled, Bool.random(using: &rng) else { continue }
                lines.append(builders[c].cancel(decisions[c][i].id))
                decisions[c][i].cancelled = true
            case 8:
                let id = "fa\(actions[c].count)"
                lines.append(builders[c].line("ActionPlanned", "2023-04-01", ["actionId": .string(id), "title": "Action", "domain": "jeunesse"]))
                actions[c].append((id, "planned"))
            default:
                if let i = actions[c].indices.randomElement(using: &rng), actions[c][i].1 == "planned" {
                    let next = ["in_progress", "done", "suspended", "abandoned"].randomElement(using: &rng)!
                    lines.append(builders[c].line("ActionStatusChanged", "2023-06-01", ["actionId": .string(actions[c][i].0), "status": .string(next)]))
                    actions[c][i].1 = next
                } else {
                    meetings += 1
                    lines.append(builders[c].line("CommitteeMeetingHeld", "2023-06-0\(meetings % 9 + 1)", ["meetingId": .string("m\(meetings)"), "committee": "steering", "attendees": ["caf01", "epci01"], "decisions": ["ok"]]))
                }
            }
        }
        return lines
    }
}
