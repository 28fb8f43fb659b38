#!/usr/bin/env python3
"""Deterministic generator of large, synthetic but valid CTG event streams.

Each convention lives a realistic life: opened, EPCI and communes join, often an acte
d'engagement, a shared diagnosis, axes and fiches actions, signature, a steering
committee meeting every year, and for every year of its period a funding cycle per
facility: provisional decision, advances of 35 % and 35 %, the final entitlement as a
revision, then the balance or the recovery of the overpayment. Some conventions are
amended, evaluated and terminated. Conventions are interleaved, each keeping its own
order, so every prefix of the output is valid too.

Usage: generate.py [--seed S] [--events N] [--conventions C] [--files F] [--out DIR]
  --events N       stop after N events (default 10000)
  --conventions C  how many conventions (default: enough for N, about 150 events each)
  --files F        with --out, write F files (streams split across them, each file a
                   batch that only needs the files before it) instead of one
Output: NDJSON on standard output, or DIR/events-001.ndjson ... with --out.
"""
import argparse
import json
import os
import random
import sys

DOMAINS = ["petite_enfance", "enfance", "jeunesse", "parentalite", "animation_vie_sociale", "acces_aux_droits", "inclusion_numerique", "logement"]


def money(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def convention(rng, n, caf):
    """Yields the events of convention n, in order."""
    stream = f"ctg-gen-{n:06d}"
    start = rng.randint(2018, 2024)
    years = rng.choice([4, 4, 5])
    end = start + years - 1
    actor = f"{caf}/agent:gen"
    seq = [0]

    def ev(type, date, data, **extra):
        seq[0] += 1
        e = {"id": f"{stream}-{seq[0]:04d}", "stream": stream, "type": type, "occurredAt": date, "actor": actor, "data": data}
        e.update(extra)
        return e

    epci = f"epci-{n:06d}"
    communes = [f"commune-{n:06d}-{i:02d}" for i in range(rng.randint(3, 30))]
    yield ev("ConventionOpened", f"{start - 1}-09-01", {
        "title": f"CTG synthétique n°{n}", "caf": {"id": caf, "name": f"Caf {caf[3:]}", "role": "caf"},
        "territory": {"name": f"Communauté de communes {n}", "kind": "epci"},
        "period": {"start": f"{start}-01-01", "end": f"{end}-12-31"}, "domains": rng.sample(DOMAINS, 4)})
    yield ev("PartnerJoined", f"{start - 1}-09-01", {"partner": {"id": epci, "name": f"Communauté de communes {n}", "role": "epci"}})
    for c in communes:
        yield ev("PartnerJoined", f"{start - 1}-09-02", {"partner": {"id": c, "name": f"Commune {c[-2:]} de {n}", "role": "commune"}})
    engaged = rng.random() < 0.5
    if engaged:
        yield ev("CommitmentSigned", f"{start - 1}-10-15", {"signatories": [caf, epci], "predecessor": {"kind": "cej", "endedOn": f"{start - 1}-12-31"}, "fundingEffectiveFrom": f"{start}-01-01"})
    yield ev("DiagnosticShared", f"{start - 1}-11-30", {"from": f"{start - 1}-03-01", "to": f"{start - 1}-11-30", "domains": rng.sample(DOMAINS, 3), "summary": "Diagnostic partagé du territoire."})
    actions = []
    for a in range(rng.randint(2, 4)):
        yield ev("AxisDefined", f"{start - 1}-12-01", {"axisId": f"axe-{a + 1}", "title": f"Axe {a + 1}", "kind": "axis"})
        for f in range(rng.randint(2, 4)):
            aid = f"fa-{a + 1}-{f + 1}"
            actions.append(aid)
            yield ev("ActionPlanned", f"{start - 1}-12-01", {"actionId": aid, "axisId": f"axe-{a + 1}", "title": f"Fiche action {a + 1}.{f + 1}", "domain": rng.choice(DOMAINS), "lead": rng.choice([caf, epci])})
    yield ev("ConventionSigned", f"{start}-01-20", {"signatories": [caf, epci] + communes})
    yield ev("CommitteeFormed", f"{start}-01-20", {"committeeId": "copil", "kind": "steering", "name": "Comité de pilotage", "members": [caf, epci]})
    status = {a: "planned" for a in actions}
    facilities = [(f"Gestionnaire {n}-{i}", f"{rng.randint(10**13, 10**14 - 1)}") for i in range(rng.randint(1, 3))]
    decision = payment = recovery = 0
    amended = False
    for year in range(start, end + 1):
        yield ev("CommitteeMeetingHeld", f"{year}-06-15", {"meetingId": f"copil-{year}", "committee": "steering", "committeeId": "copil", "attendees": [caf, epci], "decisions": [f"Bilan {year - 1}"], "actionsReviewed": actions[:2]})
        for a in actions:
            if status[a] == "planned" and rng.random() < 0.4:
                status[a] = "in_progress"
                yield ev("ActionStatusChanged", f"{year}-06-15", {"actionId": a, "status": "in_progress"})
            elif status[a] == "in_progress" and rng.random() < 0.3:
                status[a] = "done"
                yield ev("ActionStatusChanged", f"{year}-06-15", {"actionId": a, "status": "done"})
        for name, siret in facilities:
            for scheme in (["prestation_service", "bonus_territoire"] if engaged or year > start else ["prestation_service"]):
                decision += 1
                did = f"{stream}-d{decision:03d}"
                amount = rng.randint(500_000, 20_000_000)
                yield ev("FundingDecided", f"{year}-02-01", {"decisionId": did, "funder": caf, "beneficiary": {"name": name, "siret": siret},
                                                             "facility": f"Structure {scheme}", "domain": "petite_enfance", "scheme": scheme, "year": year, "basis": "provisional", "amount": money(amount)})
                advance = amount * 35 // 100
                paid = 0
                for month in ("03", "09"):
                    payment += 1
                    paid += advance
                    yield ev("PaymentMade", f"{year}-{month}-10", {"paymentId": f"{did}-p{payment}", "decisionId": did, "kind": "advance", "amount": money(advance), "paidOn": f"{year}-{month}-10"})
                final = amount * rng.randint(60, 110) // 100
                yield ev("FundingRevised", f"{year + 1}-04-01", {"decisionId": did, "amount": money(final), "basis": "final", "reason": f"Droit définitif {year}"})
                if final > paid:
                    payment += 1
                    yield ev("PaymentMade", f"{year + 1}-05-02", {"paymentId": f"{did}-p{payment}", "decisionId": did, "kind": "balance", "amount": money(final - paid), "paidOn": f"{year + 1}-05-02"})
                elif final < paid:
                    recovery += 1
                    yield ev("RecoveryOrdered", f"{year + 1}-05-02", {"recoveryId": f"{did}-r{recovery}", "decisionId": did, "amount": money(paid - final), "reason": "Indu sur acomptes"})
        if not amended and year == start + 1 and rng.random() < 0.3:
            amended = True
            end_extension = end + 1
            yield ev("ConventionAmended", f"{year}-11-01", {"amendment": 1, "summary": "Prolongation d'un an", "periodEnd": f"{end_extension}-12-31"})
    yield ev("EvaluationRecorded", f"{end}-11-15", {"evaluationId": "eval-finale", "scope": "convention", "findings": "Évaluation finale.", "indicators": [{"name": "Actions réalisées", "value": str(sum(1 for s in status.values() if s == "done")), "unit": "actions"}]})
    if rng.random() < 0.5:
        yield ev("ConventionTerminated", f"{end + 1}-01-15", {"reason": "Échéance de la convention"})


def main():
    p = argparse.ArgumentParser(description="Deterministic synthetic CTG event streams.")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--conventions", type=int)
    p.add_argument("--files", type=int, default=1)
    p.add_argument("--out")
    a = p.parse_args()
    rng = random.Random(a.seed)
    count = a.conventions or max(1, a.events // 100 + 1)
    cafs = [f"caf{d:02d}" for d in range(1, 96)]
    # Each convention has its own generator seeded from the main one: reproducible.
    lives = [convention(random.Random(rng.getrandbits(64)), n, rng.choice(cafs)) for n in range(1, count + 1)]
    outputs = [sys.stdout]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        outputs = [open(os.path.join(a.out, f"events-{i + 1:03d}.ndjson"), "w", encoding="utf-8") for i in range(a.files)]
    written = 0
    active = list(range(count))
    while active and written < a.events:
        still = []
        for i in active:
            # Several events of one convention at a time, then the next: interleaved streams.
            for _ in range(rng.randint(1, 8)):
                e = next(lives[i], None)
                if e is None:
                    break
                # A stream stays in one file, so each file only needs the files before it.
                outputs[i % len(outputs)].write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
                written += 1
                if written >= a.events:
                    break
            else:
                still.append(i)
                continue
            if written >= a.events:
                break
        active = still
    for o in outputs:
        if o is not sys.stdout:
            o.close()
    print(f"generate.py: {written} events, {count} conventions", file=sys.stderr)


if __name__ == "__main__":
    main()
