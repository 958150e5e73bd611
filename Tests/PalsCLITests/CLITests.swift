import Foundation
import PalsCore
import PalsTestSupport
import Testing

@Suite(.timeLimit(.minutes(10))) struct CLITests {
    @Test func checkHoldsExitsZeroWithJSON() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run(["check", "uic", "--n", "4", "--t", "1", "--json", "--out", dir.path])
        #expect(r.status == 0)
        let j = try JSON.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(j["verdict"]?.stringValue == "holds")
        #expect(j["counterexample"]?.isNull == true)
        #expect((j["states"]?.intValue ?? 0) > 0)
        #expect(j["seconds"] != nil)
        let props = j["properties"]?.arrayValue ?? []
        let names = props.compactMap { $0["name"]?.stringValue }
        #expect(names.contains("UniformAgreement"))
    }

    @Test func checkViolatedWritesAReplayableCounterexample() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run(["check", "uic", "--n", "4", "--t", "2", "--json", "--out", dir.path])
        #expect(r.status == 1)
        let j = try JSON.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(j["verdict"]?.stringValue == "violated")
        let path = try #require(j["counterexample"]?.stringValue)
        let replay = try PalsRunner.run(["replay", path, "--json"])
        #expect(replay.status == 1)
        let rj = try JSON.parse(replay.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(rj["stillViolated"]?.boolValue == true)
        #expect(rj["decisionsMatchFile"]?.boolValue == true)
        // The text form shows the diagram.
        let text = try PalsRunner.run(["replay", path])
        #expect(text.stdout.contains("decision"))
        #expect(text.stdout.contains("still violated"))
    }

    /// `check` reduces by symmetry wherever that is sound (uic, floodset with
    /// distinct inputs); `--no-symmetry` is the full search, with the same
    /// verdicts and the same counterexample files.
    @Test func checkReducesBySymmetryByDefaultWhereSound() throws {
        let a = try PalsRunner.temporaryDirectory()
        let b = try PalsRunner.temporaryDirectory()
        let reduced = try PalsRunner.run(["check", "uic", "--n", "4", "--t", "2", "--json", "--out", a.path])
        let full = try PalsRunner.run(
            ["check", "uic", "--n", "4", "--t", "2", "--no-symmetry", "--json", "--out", b.path])
        #expect(reduced.status == 1 && full.status == 1)
        let r = try JSON.parse(reduced.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let f = try JSON.parse(full.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(r["symmetry"]?.boolValue == true)
        #expect(f["symmetry"]?.boolValue == false)
        #expect(r["states"]?.intValue == 1392)
        #expect(f["states"]?.intValue == 28206)
        let statuses = { (j: JSON) in
            (j["properties"]?.arrayValue ?? []).map {
                "\($0["name"]?.stringValue ?? ""):\($0["status"]?.stringValue ?? "")"
            }
        }
        #expect(statuses(r) == statuses(f))
        #expect(statuses(r).contains("UniformAgreement:violated"))
        let names = try FileManager.default.contentsOfDirectory(atPath: a.path).sorted()
        #expect(names == (try FileManager.default.contentsOfDirectory(atPath: b.path).sorted()))
        #expect(names.count == 2)
        for name in names {
            #expect(
                try Data(contentsOf: a.appendingPathComponent(name))
                    == Data(contentsOf: b.appendingPathComponent(name)),
                "\(name)")
        }
        let text = try PalsRunner.run(["check", "uic", "--n", "4", "--t", "2", "--out", a.path])
        #expect(text.stdout.contains("1392 states, 23965 transitions up to renaming of processes"))
        // Where it is not sound the default is the full search, and asking
        // for it is refused.
        let repeated = try PalsRunner.run(["check", "uic", "--n", "4", "--t", "1", "--inputs", "1,1,2,3", "--json"])
        #expect(repeated.status == 0)
        #expect(repeated.stdout.contains("\"symmetry\":false"))
        let smc = try PalsRunner.run(["check", "smc", "--n", "3", "--t", "1", "--json"])
        #expect(smc.status == 0)
        #expect(smc.stdout.contains("\"symmetry\":false"))
        let forced = try PalsRunner.run(["check", "smc", "--n", "3", "--t", "1", "--symmetry"])
        #expect(forced.status == 2)
        #expect(forced.stderr.contains("symmetry"))
    }

    @Test func textCheckShowsVerdictsAndDiagram() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run(["check", "floodset", "--n", "3", "--t", "1", "--out", dir.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("Agreement"))
        #expect(r.stdout.contains("verdict: violated"))
        #expect(r.stdout.contains("p0*"))
    }

    @Test func simulateWithDropsAndPatternFile() throws {
        let r = try PalsRunner.run([
            "simulate", "uic", "--n", "3", "--t", "1", "--faulty", "0", "--drops", "1:1>0,1:2>0",
        ])
        #expect(r.status == 0)
        #expect(r.stdout.contains("H"))
        let dir = try PalsRunner.temporaryDirectory()
        let file = dir.appendingPathComponent("pattern.json")
        try Data(#"{"faulty":[0],"crashes":[{"process":0,"round":2}],"drops":[{"round":1,"from":0,"to":1}]}"#.utf8)
            .write(to: file)
        let s = try PalsRunner.run(["simulate", "uic", "--n", "3", "--t", "1", "--pattern", file.path, "--json"])
        #expect(s.status == 0)
        let j = try JSON.parse(s.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(j["decisions"]?.arrayValue?.first?.isNull == true)
    }

    /// Bad input: one clear line on standard error and exit status 2.
    @Test(arguments: [
        ["check", "uic", "--n", "3", "--t", "3"],
        ["check", "uic", "--n", "65", "--t", "1"],
        ["check", "uic", "--n", "64", "--t", "1"],
        ["check", "uic", "--n", "0", "--t", "0"],
        ["check", "paxos", "--n", "3", "--t", "1"],
        ["check", "uic", "--n", "3", "--t", "1", "--variant", "fast"],
        ["check", "uic", "--n", "3", "--t", "1", "--inputs", "1,2"],
        ["check", "uic", "--n", "3", "--t", "1", "--inputs", "1,x,3"],
        ["check", "uic", "--n", "3", "--t", "1", "--faults", "byzantine"],
        ["bounds", "uic", "--n", "5...2"],
        ["bounds", "uic", "--n", "0...3"],
        ["simulate", "uic", "--n", "3", "--t", "1", "--faulty", "0", "--drops", "1:1>2"],
        ["simulate", "uic", "--n", "3", "--t", "1", "--drops", "nonsense"],
        ["simulate", "uic", "--n", "3", "--t", "1", "--faulty", "0,1"],
        ["replay", "/nonexistent/file.json"],
        ["check", "uic", "--n", "3"],
        ["frobnicate"],
    ])
    func badInputIsAClearErrorWithStatusTwo(arguments: [String]) throws {
        let r = try PalsRunner.run(arguments)
        #expect(r.status == 2, "\(arguments): \(r.stderr)")
        #expect(!r.stderr.isEmpty)
        #expect(!r.stderr.contains("Fatal error"))
        #expect(!r.stderr.contains("Stack dump"))
    }

    @Test func malformedCounterexampleFilesAreRejected() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let good = try PalsRunner.run(["check", "uic", "--n", "2", "--t", "1", "--json", "--out", dir.path])
        let path = try #require(
            try JSON.parse(good.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["counterexample"]?.stringValue)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let variants: [String] = [
            "{ not json",
            text.replacingOccurrences(of: CounterexampleFile.schemaID, with: "trustedpals/counterexample/v0"),
            text.replacingOccurrences(of: "\"faulty\": [", with: "\"faulty\": [1, "),  // too many faulty
            text.replacingOccurrences(of: "\"protocol\": \"uic\"", with: "\"protocol\": \"nope\""),
            text.replacingOccurrences(of: "\"inputs\": [0, 1]", with: "\"inputs\": [0]"),
            "[]",
        ]
        for (k, v) in variants.enumerated() {
            #expect(v != text || k == 0)
            let f = dir.appendingPathComponent("bad\(k).json")
            try Data(v.utf8).write(to: f)
            let r = try PalsRunner.run(["replay", f.path])
            #expect(r.status == 2, "variant \(k): \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: "), "variant \(k): \(r.stderr)")
        }
    }

    /// The main job (`pals` with no arguments) writes the same bytes twice.
    @Test func mainJobIsDeterministic() throws {
        let a = try PalsRunner.temporaryDirectory()
        let b = try PalsRunner.temporaryDirectory()
        let ra = try PalsRunner.run(["--out", a.path])
        let rb = try PalsRunner.run(["--out", b.path])
        #expect(ra.status == rb.status)
        #expect(ra.stdout.contains("holds exactly when t < n/2"))
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: a.path).sorted()
        #expect(names == (try fm.contentsOfDirectory(atPath: b.path).sorted()))
        #expect(!names.isEmpty)
        for name in names {
            let x = try Data(contentsOf: a.appendingPathComponent(name))
            let y = try Data(contentsOf: b.appendingPathComponent(name))
            #expect(x == y, "\(name)")
        }
    }

    @Test func boundsJSONHasOneCellPerNT() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run(["bounds", "uic", "--n", "2...4", "--json", "--out", dir.path])
        #expect(r.status == 1)
        let j = try JSON.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let cells = j["cells"]?.arrayValue ?? []
        #expect(cells.count == 1 + 2 + 3 + 4 - 1)
        for c in cells {
            let n = try #require(c["n"]?.intValue)
            let t = try #require(c["t"]?.intValue)
            #expect(c["verdict"]?.stringValue == (2 * t < n ? "holds" : "violated"), "(\(n),\(t))")
        }
        // Per property over the table: violated where some cell violates it;
        // never "holds" for a property some cell stopped before deciding.
        let props = j["properties"]?.arrayValue ?? []
        let agreement = try #require(props.first { $0["name"]?.stringValue == "UniformAgreement" })
        #expect(agreement["status"]?.stringValue == "violated")
        #expect(agreement["violatedIn"]?.arrayValue?.count == 4)
        let termination = try #require(props.first { $0["name"]?.stringValue == "Termination" })
        #expect(termination["status"]?.stringValue == "unknown")
    }
}

/// Every committed counterexample still violates its property.
@Suite(.timeLimit(.minutes(10))) struct CommittedCounterexampleTests {
    static var files: [URL] {
        let dir = PalsRunner.repository.appendingPathComponent("counterexamples")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test func thereAreCommittedCounterexamples() {
        #expect(Self.files.count >= 20)
    }

    @Test(arguments: files)
    func replaysAndStillViolates(file: URL) throws {
        let r = try PalsRunner.run(["replay", file.path, "--json"])
        #expect(r.status == 1, "\(file.lastPathComponent): \(r.stderr)")
        let j = try JSON.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(j["stillViolated"]?.boolValue == true, "\(file.lastPathComponent)")
        #expect(j["decisionsMatchFile"]?.boolValue == true, "\(file.lastPathComponent)")
    }
}
