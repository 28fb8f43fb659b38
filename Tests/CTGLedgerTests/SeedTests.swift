import CTGDomain
import CTGLedger
import Foundation
import StrictJSON
import Testing

/// The five seed documents, replayed: the CLI must answer the facts they state.
@Suite("Seed conventions replay into the facts their documents state")
struct SeedTests {
    static func state(_ seed: String, _ id: String) throws -> (TempStore, ConventionState) {
        let store = TempStore()
        try store.importFixture("seeds/\(seed).ndjson")
        return (store, try store.ledger.convention(id))
    }

    static func signatoriesWithRole(_ c: ConventionState, _ role: Role) -> Int {
        c.signatories.filter { s in c.member(s.partnerId)?.partner.role == role }.count
    }

    @Test("Pays de Cruseilles: the Caf de la Haute-Savoie's 19th CTG, 2023-2027, signed 22 November 2023 with the EPCI and its 13 communes")
    func cruseilles() throws {
        let (_, c) = try Self.state("pays-de-cruseilles", "ctg-pays-de-cruseilles-2023")
        #expect(c.caf.name == "Caf de la Haute-Savoie")
        #expect(c.cafOrdinal == 19)
        #expect(c.status == .signed)
        #expect(c.signedOn?.description == "2023-11-22")
        #expect(c.period.start.year == 2023 && c.period.end.year == 2027)
        #expect(Self.signatoriesWithRole(c, .commune) == 13)
        #expect(Self.signatoriesWithRole(c, .epci) == 1)
        #expect(c.members.contains { $0.partner.name == "Vovray-en-Bornes" })
        #expect(c.axes.filter { $0.kind == .axis }.count == 8)
        #expect(c.actions.count == 10)
    }

    @Test("Saint-Flour: the Caf du Cantal's first CTG, 2017-2020, signed Friday 19 January, ten fiches actions in three axes")
    func saintFlour() throws {
        let (_, c) = try Self.state("saint-flour", "ctg-saint-flour-2017")
        #expect(c.cafOrdinal == 1)
        #expect(c.signedOn?.description == "2018-01-19")
        #expect(c.period.start.description == "2017-01-01" && c.period.end.description == "2020-12-31")
        #expect(c.axes.count == 3)
        #expect(c.actions.map { $0.ref ?? "" } == [2, 7, 9, 10, 15, 19, 20, 21, 22, 23].map { "Fiche action \($0)" })
        #expect(c.signatories.flatMap(\.signers).map { $0.person ?? "" }.sorted() == ["Bernadette GINEZ", "Gérard DELPY", "Pascal PONS", "Pierre JARLIER"])
        #expect(c.committees.first?.bodies.count == 2)
        #expect(c.baselines.first?.year == 2016 && c.baselines.first?.amount.description == "626000.00" && c.baselines.first?.qualifier == .at_least)
    }

    @Test("Saumur Loire Développement: 2023-2027, signed 14 December 2023 by the Caf de Maine-et-Loire, 31 communes and 5 syndicats")
    func saumur() throws {
        let (store, c) = try Self.state("saumur-loire-developpement", "ctg-saumur-loire-developpement-2023")
        #expect(c.signedOn?.description == "2023-12-14")
        #expect(Self.signatoriesWithRole(c, .commune) == 31)
        #expect(Self.signatoriesWithRole(c, .syndicat) == 5)
        #expect(c.diagnostics.first?.period.start.description == "2021-09-01")
        #expect(c.baselines.first?.amount.description == "3915227.00" && c.baselines.first?.year == 2022)
        #expect(c.actions.count == 7)
        // The 2022 funding predates the period: context, not a decision.
        #expect(try store.ledger.fundingReport(by: .year, convention: nil, year: nil).json.objectValue?["groups"] == .array([]))
    }

    @Test("Rive-de-Gier: an acte d'engagement signed in Saint-Etienne on 9 May 2023, CEJ ended 31/12/2022, funding from 1 January 2023")
    func riveDeGier() throws {
        let (_, c) = try Self.state("rive-de-gier", "ctg-rive-de-gier-2023")
        #expect(c.status == .engaged)
        #expect(c.signedOn == nil)
        let k = try #require(c.commitment)
        #expect(k.signedOn.description == "2023-05-09")
        #expect(k.place == "Saint-Etienne")
        #expect(k.predecessor?.kind == .cej && k.predecessor?.endedOn.description == "2022-12-31")
        #expect(k.fundingEffectiveFrom?.description == "2023-01-01")
        #expect(k.signBy?.description == "2023-12-31")
        #expect(k.signers.map { $0.person ?? "" }.sorted() == ["Marie Pierre BRUSCHET", "Vincent BONNY"])
        #expect(c.period.start.description == "2023-01-01" && c.period.end.description == "2026-12-31")
    }

    @Test("Rambervillers: the Caf, the Conseil départemental, the MSA and the EPCI; four ambitions; the 12-place micro-crèche")
    func rambervillers() throws {
        let (_, c) = try Self.state("rambervillers", "ctg-region-de-rambervillers")
        #expect(Set(c.members.map(\.partner.role)) == [.caf, .departement, .msa, .epci])
        #expect(c.axes.filter { $0.kind == .ambition }.count == 4)
        #expect(c.actions.contains { $0.title.contains("micro-crèche de 12 places") && $0.domain == .petite_enfance })
        #expect(c.status == .draft)
    }

    /// `ctg convention ID --format json` for each seed, against files reviewed by hand.
    /// Regenerate deliberately with CTG_UPDATE_GOLDEN=1.
    @Test("each seed's convention state equals its golden file", arguments: Fixtures.seedFiles)
    func golden(_ file: String) throws {
        let store = TempStore()
        let imported = try Tool.run("ctg", ["import", Fixtures.path("seeds/" + file)], store: store.path)
        try #require(imported.status == 0, "\(imported.stderr)")
        let id = try #require(try JSONParser.parse(Tool.run("ctg", ["conventions", "--format", "json"], store: store.path).stdout, allowNull: true).arrayValue?.first?.objectValue?["id"]?.stringValue)
        let state = try Tool.run("ctg", ["convention", id, "--format", "json"], store: store.path).stdout
        let golden = Fixtures.path("golden/" + file.replacing(".ndjson", with: ".json"))
        if ProcessInfo.processInfo.environment["CTG_UPDATE_GOLDEN"] == "1" {
            try state.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        #expect(state == (try String(contentsOfFile: golden, encoding: .utf8)))
        #expect(try Tool.run("ctg-audit", ["verify"], store: store.path).status == 0)
    }
}
