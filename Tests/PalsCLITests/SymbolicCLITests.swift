import Foundation
import PalsCore
import PalsTestSupport
import Testing

/// The result of one `pals` invocation.
private struct Invocation {
    var status: Int32
    var stdout: String
    var stderr: String

    /// Standard output parsed as one JSON object.
    func json() throws -> JSON { try JSON.parse(stdout) }
}

/// Runs `pals` with `arguments` and waits for it.
private func pals(_ arguments: [String]) throws -> Invocation {
    let r = try PalsRunner.run(arguments)
    return Invocation(status: r.status, stdout: r.stdout, stderr: r.stderr)
}

/// A fresh empty folder for counterexample files.
private func temporaryFolder() throws -> String { try PalsRunner.temporaryDirectory().path }

/// `pals check` and `pals bounds` with `--engine symbolic`, through the
/// executable: exit statuses, JSON keys, counterexample files that `pals
/// replay` confirms.
@Suite(.timeLimit(.minutes(10))) struct SymbolicCLITests {
    @Test func violatedInstanceWritesReplayableCounterexample() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try pals(["check", "uic", "--n", "4", "--t", "2", "--engine", "symbolic", "--json", "--out", out])
        #expect(run.status == 1, "\(run.stderr)")
        let json = try run.json()
        #expect(json["verdict"]?.stringValue == "violated")
        #expect(json["engine"]?.stringValue == "symbolic")
        #expect(json["states"]?.isNull == true)
        #expect(json["solver"]?["version"]?.stringValue?.hasPrefix("4.") == true)
        #expect(json["solver"]?["statistics"]?["sat conflicts"] != nil)
        let properties = try #require(json["properties"]?.arrayValue)
        #expect(properties.contains { $0["status"]?.stringValue == "violated" })
        let path = try #require(json["counterexample"]?.stringValue)
        #expect(path.hasPrefix(out))
        #expect(FileManager.default.fileExists(atPath: path))
        // Every violated property names a file, and every file replays.
        for p in properties where p["status"]?.stringValue == "violated" {
            let file = try #require(p["counterexample"]?.stringValue, "\(p)")
            let replay = try pals(["replay", file, "--json"])
            #expect(replay.status == 1, "\(replay.stderr)")
            let r = try replay.json()
            #expect(r["stillViolated"]?.boolValue == true)
            #expect(r["decisionsMatchFile"]?.boolValue == true)
            #expect(r["property"]?.stringValue == p["name"]?.stringValue)
        }
    }

    @Test func verifiedInstanceExitsZero() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try pals(["check", "uic", "--n", "5", "--t", "2", "--engine", "symbolic", "--json", "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try run.json()
        #expect(json["verdict"]?.stringValue == "holds")
        #expect(json["counterexample"]?.isNull == true)
        let statuses = try #require(json["properties"]?.arrayValue).compactMap { $0["status"]?.stringValue }
        #expect(statuses.allSatisfy { ["holds", "witnessed"].contains($0) }, "\(statuses)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
        // The text form says the same, with the engine named.
        let text = try pals(["check", "uic", "--n", "5", "--t", "2", "--engine", "symbolic", "--out", out])
        #expect(text.status == 0)
        #expect(text.stdout.contains("symbolic engine"))
        #expect(text.stdout.contains("verdict: holds"))
    }

    /// A solver timeout is `unknown` (exit 3), never `holds`.
    @Test func timeoutIsUnknownWithExitThree() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try pals([
            "check", "uic", "--n", "9", "--t", "4", "--engine", "symbolic", "--timeout", "0.001", "--json", "--out",
            out,
        ])
        #expect(run.status == 3, "\(run.stderr)")
        let json = try run.json()
        #expect(json["verdict"]?.stringValue == "unknown")
        let properties = try #require(json["properties"]?.arrayValue)
        let unknown = properties.filter { $0["status"]?.stringValue == "unknown" }
        #expect(!unknown.isEmpty)
        for p in unknown { #expect(p["reason"]?.stringValue?.isEmpty == false, "\(p)") }
        #expect(json["solver"]?["timeout"] != nil)
    }

    @Test func usageErrorsExitTwo() throws {
        let badEngine = try pals(["check", "uic", "--n", "3", "--t", "1", "--engine", "quantum"])
        #expect(badEngine.status == 2)
        let timeoutWithExplicit = try pals(["check", "uic", "--n", "3", "--t", "1", "--timeout", "5"])
        #expect(timeoutWithExplicit.status == 2)
        #expect(timeoutWithExplicit.stderr.contains("--timeout"))
        let negative = try pals(["check", "uic", "--n", "3", "--t", "1", "--engine", "symbolic", "--timeout", "-1"])
        #expect(negative.status == 2)
        let badInputs = try pals(["check", "uic", "--n", "3", "--t", "1", "--engine", "symbolic", "--inputs", "0,-4,1"])
        #expect(badInputs.status == 2)
    }

    /// The resilience table with the symbolic engine: holds iff t < n/2, and
    /// each violated cell's counterexample replays.
    @Test func boundsTableReproducesTheTheorem() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try pals(["bounds", "uic", "--n", "2...6", "--engine", "symbolic", "--json", "--out", out])
        #expect(run.status == 1, "\(run.stderr)")
        let json = try run.json()
        #expect(json["engine"]?.stringValue == "symbolic")
        let cells = try #require(json["cells"]?.arrayValue)
        #expect(cells.count == (2...6).reduce(0, +))
        for cell in cells {
            let n = try #require(cell["n"]?.intValue)
            let t = try #require(cell["t"]?.intValue)
            let verdict = cell["verdict"]?.stringValue
            #expect(cell["engine"]?.stringValue == "symbolic")
            if 2 * t < n {
                #expect(verdict == "holds", "n=\(n) t=\(t)")
                #expect(cell["counterexample"]?.isNull == true)
            } else {
                #expect(verdict == "violated", "n=\(n) t=\(t)")
                let file = try #require(cell["counterexample"]?.stringValue, "n=\(n) t=\(t)")
                let replay = try pals(["replay", file, "--json"])
                #expect(replay.status == 1, "n=\(n) t=\(t): \(replay.stderr)")
                #expect(try replay.json()["stillViolated"]?.boolValue == true)
            }
        }
    }

    /// `bounds --all-properties` decides every property of every cell: with
    /// either engine no property is left unchecked or unknown, and the two
    /// engines agree on every property across the table. Without it, the
    /// cells stop at their first violation and some properties stay open.
    @Test func allPropertiesDecidesEveryPropertyOfEveryCell() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        var tables: [String: [String]] = [:]
        for engine in ["symbolic", "explicit"] {
            let base = ["bounds", "uic", "--n", "3...4", "--engine", engine, "--json", "--out", out]
            let first = try pals(base)
            #expect(first.status == 1, "\(first.stderr)")
            let open = try #require(first.json()["properties"]?.arrayValue).filter {
                $0["status"]?.stringValue == "unknown"
            }
            #expect(!open.isEmpty, "\(engine): without --all-properties some property is left open")
            let all = try pals(base + ["--all-properties"])
            #expect(all.status == 1, "\(all.stderr)")
            let json = try all.json()
            let properties = try #require(json["properties"]?.arrayValue)
            let statuses = properties.map { "\($0["name"]?.stringValue ?? "?")=\($0["status"]?.stringValue ?? "?")" }
            #expect(
                statuses.allSatisfy { $0.hasSuffix("=holds") || $0.hasSuffix("=violated") }, "\(engine): \(statuses)")
            #expect(statuses.contains("UniformAgreement=violated") && statuses.contains("Validity=violated"))
            #expect(statuses.contains("Termination=holds"), "\(engine): \(statuses)")
            if engine == "symbolic" {
                for cell in try #require(json["cells"]?.arrayValue) {
                    let words = (cell["properties"]?.arrayValue ?? []).compactMap { $0["status"]?.stringValue }
                    #expect(
                        !words.isEmpty && !words.contains("unchecked") && !words.contains("unknown"), "\(cell.compact)")
                }
            }
            tables[engine] = statuses
        }
        #expect(tables["symbolic"] == tables["explicit"])
    }

    /// `--engine auto` runs the explicit engine on small n.
    @Test func autoUsesExplicitOnSmallInstances() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let small = try pals(["check", "uic", "--n", "3", "--t", "1", "--engine", "auto", "--json", "--out", out])
        #expect(small.status == 0, "\(small.stderr)")
        #expect(try small.json()["engine"]?.stringValue == "explicit")
        let large = try pals(["check", "uic", "--n", "6", "--t", "2", "--engine", "auto", "--json", "--out", out])
        #expect(large.status == 0, "\(large.stderr)")
        #expect(try large.json()["engine"]?.stringValue == "symbolic")
        // (5,3): 18 droppable links per round, beyond 2^16 successors: the
        // explicit search takes about a minute (16.6 million states), Z3 a moment.
        let wide = try pals(["check", "uic", "--n", "5", "--t", "3", "--engine", "auto", "--json", "--out", out])
        #expect(wide.status == 1, "\(wide.stderr)")
        #expect(try wide.json()["engine"]?.stringValue == "symbolic")
        #expect(
            wide.stderr.contains("engine auto: symbolic: 18 droppable links per round with 3 faulty of 5"),
            "\(wide.stderr)")
        let narrow = try pals(["check", "uic", "--n", "5", "--t", "2", "--engine", "auto", "--json", "--out", out])
        #expect(narrow.status == 0, "\(narrow.stderr)")
        #expect(try narrow.json()["engine"]?.stringValue == "explicit")
        #expect(
            narrow.stderr.contains("engine auto: explicit: 14 droppable links per round with 2 faulty of 5"),
            "\(narrow.stderr)")
        // Crash-stop branches far less: explicit at (6,2).
        let crash = try pals([
            "check", "floodset", "--n", "6", "--t", "2", "--faults", "crash", "--engine", "auto", "--json", "--out",
            out,
        ])
        #expect(try crash.json()["engine"]?.stringValue == "explicit", "\(crash.stderr)")
    }

    /// `--faults crash` reaches the symbolic engine: FloodSet with t rounds
    /// fails under crashes, with t + 1 it holds.
    @Test func crashFaultsAreHonoured() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let ok = try pals([
            "check", "floodset", "--n", "4", "--t", "2", "--faults", "crash", "--engine", "symbolic", "--json", "--out",
            out,
        ])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try ok.json()["faults"]?.stringValue == "crash")
        let bad = try pals([
            "check", "floodset", "--n", "4", "--t", "2", "--rounds", "2", "--faults", "crash", "--engine", "symbolic",
            "--json", "--out", out,
        ])
        #expect(bad.status == 1, "\(bad.stderr)")
        let file = try #require(try bad.json()["counterexample"]?.stringValue)
        let replay = try pals(["replay", file, "--json"])
        #expect(replay.status == 1)
    }
}
