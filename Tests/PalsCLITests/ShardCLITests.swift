import Foundation
import PalsCore
import PalsTestSupport
import Testing

/// `--shard I/K` and `pals merge`: K shards merged equal the unsharded run.
@Suite(.timeLimit(.minutes(10))) struct ShardCLITests {
    /// The JSON with every "seconds" value zeroed: wall time is the one field
    /// a merge cannot reproduce (it is the shards' sum).
    static func withoutSeconds(_ text: String) -> String {
        let pattern = try! NSRegularExpression(pattern: #""seconds":-?[0-9.eE+-]+"#)
        let s = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return pattern.stringByReplacingMatches(
            in: s, range: NSRange(s.startIndex..., in: s), withTemplate: #""seconds":0"#)
    }

    /// Runs `arguments` unsharded in one folder and as K shards in another
    /// (the same relative --out), merges the shards, and returns both
    /// outcomes and folders.
    static func shardedAndWhole(_ arguments: [String], k: Int) throws -> (
        whole: PalsRunner.Outcome, merged: PalsRunner.Outcome, wholeDir: URL, shardDir: URL
    ) {
        let wholeDir = try PalsRunner.temporaryDirectory()
        let shardDir = try PalsRunner.temporaryDirectory()
        let whole = try PalsRunner.run(arguments + ["--json", "--out", "cx"], in: wholeDir)
        var files: [String] = []
        for i in 1...k {
            let r = try PalsRunner.run(arguments + ["--json", "--out", "cx", "--shard", "\(i)/\(k)"], in: shardDir)
            // A shard decides only its part: it may hold where the whole run is violated.
            #expect(r.status == 0 || r.status == 1, "shard \(i)/\(k): \(r.stderr)")
            let name = "shard-\(i).json"
            try Data(r.stdout.utf8).write(to: shardDir.appendingPathComponent(name))
            files.append(name)
        }
        // Merge in an order other than the shards'.
        let merged = try PalsRunner.run(["merge"] + files.reversed(), in: shardDir)
        return (whole, merged, wholeDir, shardDir)
    }

    static func expectSameFiles(_ a: URL, _ b: URL) throws {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: a.appendingPathComponent("cx").path))?.sorted() ?? []
        let others = (try? fm.contentsOfDirectory(atPath: b.appendingPathComponent("cx").path))?.sorted() ?? []
        #expect(names == others)
        for name in names {
            let x = try Data(contentsOf: a.appendingPathComponent("cx").appendingPathComponent(name))
            let y = try Data(contentsOf: b.appendingPathComponent("cx").appendingPathComponent(name))
            #expect(x == y, "counterexample \(name) differs")
        }
    }

    /// A violated cell: the merge picks the counterexample the unsharded
    /// search reports (smallest faulty set, shortest path, search order),
    /// with or without --first, and writes the same files.
    @Test(arguments: [
        ["check", "uic", "--n", "4", "--t", "2"],
        ["check", "uic", "--n", "4", "--t", "2", "--first"],
        ["bounds", "uic", "--n", "2...4"],
        ["check", "uic", "--variant", "no-trust-check", "--n", "4", "--t", "1"],
        ["check", "uic", "--n", "3", "--t", "2"],
    ])
    func violatedRunsMergeToTheCanonicalCounterexample(_ arguments: [String]) throws {
        for k in [2, 3] {
            let r = try Self.shardedAndWhole(arguments, k: k)
            #expect(r.whole.status == 1)
            #expect(r.merged.status == 1, "\(r.merged.stderr)")
            #expect(Self.withoutSeconds(r.merged.stdout) == Self.withoutSeconds(r.whole.stdout), "K = \(k)")
            #expect(r.whole.stdout.contains("\"violated\""))
            try Self.expectSameFiles(r.wholeDir, r.shardDir)
        }
    }

    @Test func threeShardsOfAFairnessComputationMerge() throws {
        let r = try Self.shardedAndWhole(["fairness", "--n", "3", "--t", "1", "--M", "3"], k: 3)
        #expect(r.whole.status == 0)
        #expect(r.merged.status == 0, "\(r.merged.stderr)")
        #expect(Self.withoutSeconds(r.merged.stdout) == Self.withoutSeconds(r.whole.stdout))
        try Self.expectSameFiles(r.wholeDir, r.shardDir)
    }

    @Test(arguments: ["0/3", "4/3", "1/0", "x", "1/", "/3", "1/3/3", "-1/3", "+1/3", " 1/3"])
    func malformedShardIsRejected(_ shard: String) throws {
        for command in [
            ["check", "uic", "--n", "3", "--t", "1"], ["bounds", "uic", "--n", "2...3"],
            ["fairness", "--n", "3", "--t", "1", "--M", "2"],
            ["campaign", "uic", "--n", "3", "--t", "1", "--runs", "5"],
        ] {
            let dir = try PalsRunner.temporaryDirectory()
            let r = try PalsRunner.run(command + ["--json", "--out", "cx", "--shard", shard], in: dir)
            #expect(r.status == 2, "\(command) --shard \(shard)")
            #expect(r.stderr.contains("--shard"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test func shardNeedsJSONAndTheExplicitEngine() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let text = try PalsRunner.run(["check", "uic", "--n", "3", "--t", "1", "--shard", "1/2"], in: dir)
        #expect(text.status == 2)
        #expect(text.stderr.contains("--json"))
        let symbolic = try PalsRunner.run(
            ["check", "uic", "--n", "3", "--t", "1", "--engine", "symbolic", "--json", "--shard", "1/2"], in: dir)
        #expect(symbolic.status == 2)
        #expect(symbolic.stderr.contains("explicit"))
    }

    /// A campaign's JSON without what depends on time (wall seconds, rates,
    /// latency quantiles) and with the folder named by the campaign's fresh
    /// keys (`campaign-<roster>`) made anonymous.
    static func withoutTimes(_ text: String) -> String {
        var s = withoutSeconds(text)
        for (pattern, template) in [
            (#""runsPerSecond":[0-9.eE+-]+"#, #""runsPerSecond":0"#),
            (#""(round|run)(Micro|Milli)seconds":\{[^}]*\}"#, #""$1$2seconds":{}"#),
            (#"(campaign|process)-[0-9a-f]{16}/"#, "$1-X/"),
        ] {
            let re = try! NSRegularExpression(pattern: pattern)
            s = re.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        return s
    }

    /// A campaign split into K shards makes exactly the whole campaign's runs
    /// (each run drawn from the seed and its number, the modules' own draws
    /// included): the merge has the same counts, the same first failing runs
    /// saved, and the exit status of the whole campaign.
    @Test(arguments: [
        ["campaign", "uic", "--n", "3", "--t", "2", "--runs", "300", "--seed", "4"],
        ["campaign", "fair-exchange", "--n", "2", "--t", "1", "--M", "8", "--runs", "1500", "--seed", "1"],
        ["campaign", "uic", "--n", "4", "--t", "1", "--runs", "40", "--seed", "2", "--transport", "tcp"],
    ])
    func shardsOfACampaignMergeToTheWholeCampaign(_ arguments: [String]) throws {
        for k in [2, 3] {
            let r = try Self.shardedAndWhole(arguments, k: k)
            #expect(r.merged.status == r.whole.status, "K = \(k): \(r.merged.stderr)")
            #expect(Self.withoutTimes(r.merged.stdout) == Self.withoutTimes(r.whole.stdout), "K = \(k)")
            let whole = try JSON.parse(r.whole.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            let merged = try JSON.parse(r.merged.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(merged["runs"] == whole["runs"])
            // Every file the merge lists was written by a shard.
            for path in merged["saved"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                #expect(FileManager.default.fileExists(atPath: r.shardDir.appendingPathComponent(path).path), "\(path)")
            }
            if arguments[1] != "uic" || arguments.contains("tcp") { continue }
            // The violated UIC cell: failing runs found and saved alike.
            #expect(r.whole.status == 1)
            #expect((whole["violations"]?.intValue ?? 0) > 0)
            #expect(whole["saved"]?.arrayValue?.count == 10)
        }
    }

    @Test func campaignShardsOfAnotherRunAreRefused() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let campaign = ["campaign", "uic", "--n", "3", "--t", "1", "--runs", "20"]
        let a = try Self.shards(campaign + ["--seed", "1"], k: 2, in: dir, prefix: "a")
        let seed = try Self.shards(campaign + ["--seed", "2"], k: 2, only: [2], in: dir, prefix: "s")
        let runs = try Self.shards(
            ["campaign", "uic", "--n", "3", "--t", "1", "--runs", "21", "--seed", "1"], k: 2, only: [2], in: dir,
            prefix: "r")
        for (files, needle) in [([a[0], seed[0]], "seed is 1 vs 2"), ([a[0], runs[0]], "runs is 20 vs 21")] {
            let r = try PalsRunner.run(["merge"] + files, in: dir)
            #expect(r.status == 2, "\(files)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains(needle), "\(r.stderr)")
        }
        let good = try PalsRunner.run(["merge"] + a, in: dir)
        #expect(good.status == 0, "\(good.stderr)")
        // The same adversary path with other contents is another campaign.
        let pattern = dir.appendingPathComponent("pattern.json")
        try Data(#"{"faulty":[0],"drops":[{"round":1,"from":0,"to":1}]}"#.utf8).write(to: pattern)
        let before = try Self.shards(campaign + ["--adversary", "pattern.json"], k: 2, only: [1], in: dir, prefix: "p")
        try Data(#"{"faulty":[0],"drops":[{"round":2,"from":0,"to":2}]}"#.utf8).write(to: pattern)
        let after = try Self.shards(campaign + ["--adversary", "pattern.json"], k: 2, only: [2], in: dir, prefix: "q")
        let swapped = try PalsRunner.run(["merge", before[0], after[0]], in: dir)
        #expect(swapped.status == 2)
        #expect(swapped.stdout.isEmpty)
        #expect(swapped.stderr.contains("plan is"), "\(swapped.stderr)")
        // Forged counts: negative, or adding up beyond Int.max (in a
        // campaign's counts, its samples, a check's states), are refused,
        // never an overflow trap.
        let check = try Self.shards(["check", "uic", "--n", "3", "--t", "1"], k: 2, in: dir, prefix: "c")
        func replacing(_ pattern: String, _ template: String) -> (inout String) -> Void {
            { text in
                let re = try! NSRegularExpression(pattern: pattern)
                text = re.stringByReplacingMatches(
                    in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
            }
        }
        let forgeries: [(String, String, (inout String) -> Void)] = [
            (a[0], #""runs" is not a count"#, replacing(#""runs":10,"#, #""runs":-10,"#)),
            (check[0], "count is negative", replacing(#""transitions":[0-9]+"#, #""transitions":-5"#)),
            (a[0], "beyond", replacing(#""runMicroseconds":\[\["#, #""runMicroseconds":[[1,\#(Int.max)],["#)),
            (a[0], "beyond", replacing(#""runs":10,"#, #""runs":\#(Int.max),"#)),
            (check[0], "beyond", replacing(#""transitions":[0-9]+"#, #""transitions":\#(Int.max)"#)),
        ]
        for (k, (name, needle, forge)) in forgeries.enumerated() {
            var text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let original = text
            forge(&text)
            #expect(text != original, "forgery \(k) changed nothing")
            try Data(text.utf8).write(to: dir.appendingPathComponent("forged.json"))
            let other = name == a[0] ? a[1] : check[1]
            let r = try PalsRunner.run(["merge", "forged.json", other], in: dir)
            #expect(r.status == 2, "forgery \(k): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.contains(needle), "forgery \(k): \(r.stderr)")
        }
        let text = try PalsRunner.run(campaign + ["--shard", "1/2"], in: dir)
        #expect(text.status == 2)
        #expect(text.stderr.contains("--json"))
        let html = try PalsRunner.run(campaign + ["--json", "--shard", "1/2", "--html", "c.html"], in: dir)
        #expect(html.status == 2)
        #expect(html.stderr.contains("--html"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.html").path))
    }

    /// Shards whose searches stop (a memory budget below any process's
    /// size stops every faulty set that runs 2^16 successor tuples, at the
    /// same tuple in every process): the merge ends the table where the
    /// unsharded run ends it, with its stop reason, exit status and
    /// counterexamples. Each shard runs in a folder of its own, as on a
    /// machine of its own: a shard's files for cells beyond the stop are not
    /// the merge's.
    @Test(arguments: [["--engine", "explicit"], ["--engine", "auto"]])
    func stoppedShardsMergeToTheStoppedTable(engine: [String]) throws {
        let arguments = ["bounds", "uic", "--n", "2...5", "--max-memory", "1M"] + engine
        let wholeDir = try PalsRunner.temporaryDirectory()
        let shardDir = try PalsRunner.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: wholeDir)
            try? FileManager.default.removeItem(at: shardDir)
        }
        let whole = try PalsRunner.run(arguments + ["--json", "--out", "cx"], in: wholeDir)
        #expect(whole.status == 1, "\(whole.stderr)")
        #expect(whole.stdout.contains("\"complete\":false"))
        var names: [String] = []
        for i in 1...3 {
            let own = shardDir.appendingPathComponent("machine-\(i)")
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            let r = try PalsRunner.run(arguments + ["--json", "--out", "cx", "--shard", "\(i)/3"], in: own)
            #expect([0, 1, 3].contains(r.status), "shard \(i)/3: \(r.stderr)")
            names.append("shard-\(i).json")
            try Data(r.stdout.utf8).write(to: shardDir.appendingPathComponent(names[i - 1]))
        }
        let merged = try PalsRunner.run(["merge"] + names.reversed(), in: shardDir)
        #expect(merged.status == whole.status, "\(merged.stderr)")
        // The resident size in the reason is each process's own.
        func normalized(_ text: String) -> String {
            let pattern = try! NSRegularExpression(pattern: #"\([0-9]+ MB resident"#)
            let s = Self.withoutSeconds(text)
            return pattern.stringByReplacingMatches(
                in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "(… MB resident")
        }
        #expect(normalized(merged.stdout) == normalized(whole.stdout))
        try Self.expectSameFiles(wholeDir, shardDir)

        // A stopped shard that says it finished, says so in a word that is
        // no reason, or whose "complete" contradicts its "stopReason": refused.
        let forged: [(pattern: String, template: String, needle: String)] = [
            (#""complete":false,"stopReason":"[^"]*""#, #""complete":true,"stopReason":null"#, "no stop reason"),
            (#""complete":false"#, #""complete":true"#, "contradicts"),
            (#""complete":false,"stopReason":""#, #""complete":false,"stopReason":7,"x":""#, "not a string"),
        ]
        var tried = 0
        for (k, name) in names.enumerated() {
            let text = try String(contentsOf: shardDir.appendingPathComponent(name), encoding: .utf8)
            for f in forged {
                let regex = try NSRegularExpression(pattern: f.pattern)
                let whole = NSRange(text.startIndex..., in: text)
                guard regex.firstMatch(in: text, range: whole) != nil else { continue }
                tried += 1
                let forgery = "forged-\(k).json"
                let changed = regex.stringByReplacingMatches(in: text, range: whole, withTemplate: f.template)
                try Data(changed.utf8).write(to: shardDir.appendingPathComponent(forgery))
                var files = names
                files[k] = forgery
                let r = try PalsRunner.run(["merge"] + files, in: shardDir)
                #expect(r.status == 2, "\(f.pattern) → \(f.template): \(r.stdout)")
                #expect(r.stdout.isEmpty)
                #expect(r.stderr.contains(f.needle), "\(r.stderr)")
            }
        }
        #expect(tried >= 3, "no shard stopped")
    }

    /// Writes shard outputs of `arguments` into `dir`, returns their names.
    static func shards(_ arguments: [String], k: Int, only: [Int]? = nil, in dir: URL, prefix: String) throws
        -> [String]
    {
        var names: [String] = []
        for i in only ?? Array(1...k) {
            let r = try PalsRunner.run(arguments + ["--json", "--out", "cx", "--shard", "\(i)/\(k)"], in: dir)
            let name = "\(prefix)-\(i).json"
            try Data(r.stdout.utf8).write(to: dir.appendingPathComponent(name))
            names.append(name)
        }
        return names
    }

    /// A run that holds (UIC under crash faults is solvable for every t):
    /// the merge says holds, with the unsharded run's counts.
    @Test func holdingRunMergesToHolds() throws {
        for k in [2, 3] {
            let r = try Self.shardedAndWhole(["check", "uic", "--n", "3", "--t", "2", "--faults", "crash"], k: k)
            #expect(r.whole.status == 0)
            #expect(r.merged.status == 0, "\(r.merged.stderr)")
            #expect(Self.withoutSeconds(r.merged.stdout) == Self.withoutSeconds(r.whole.stdout), "K = \(k)")
            #expect(r.whole.stdout.contains("\"verdict\":\"holds\""))
        }
    }

    @Test func mergeRefusesShardsThatAreNotOneRun() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let check = ["check", "uic", "--n", "4", "--t", "1"]
        let a = try Self.shards(check, k: 3, in: dir, prefix: "a")
        let otherT = try Self.shards(["check", "uic", "--n", "4", "--t", "2"], k: 3, only: [3], in: dir, prefix: "t2")
        let otherN = try Self.shards(["check", "uic", "--n", "5", "--t", "1"], k: 3, only: [3], in: dir, prefix: "n5")
        let otherVariant = try Self.shards(
            check + ["--variant", "no-halting"], k: 3, only: [3], in: dir, prefix: "v")
        let otherProtocol = try Self.shards(
            ["check", "floodset", "--n", "4", "--t", "1"], k: 3, only: [3], in: dir, prefix: "f")
        let otherOption = try Self.shards(check + ["--faults", "crash"], k: 3, only: [3], in: dir, prefix: "c")
        let otherK = try Self.shards(check, k: 4, only: [3], in: dir, prefix: "k4")
        let bounds = try Self.shards(["bounds", "uic", "--n", "2...3"], k: 3, only: [3], in: dir, prefix: "b")
        try Data("{\"verdict\":\"holds\"}".utf8).write(to: dir.appendingPathComponent("plain.json"))
        try Data("not json".utf8).write(to: dir.appendingPathComponent("garbage.json"))
        let cases: [([String], String)] = [
            ([a[0], a[1], otherT[0]], "t is 1 vs 2"),
            ([a[0], a[1], otherN[0]], "n is 4 vs 5"),
            ([a[0], a[1], otherVariant[0]], "variant"),
            ([a[0], a[1], otherProtocol[0]], "protocol"),
            ([a[0], a[1], otherOption[0]], "faults"),
            ([a[0], a[1], otherK[0]], "3/4"),
            ([a[0], a[1], bounds[0]], "different commands"),
            ([a[0], a[1]], "missing"),
            ([a[0], a[1], a[1], a[2]], "twice"),
            ([a[0], a[1], a[2], "plain.json"], "plain.json"),
            ([a[0], a[1], a[2], "garbage.json"], "garbage.json"),
            ([a[0], a[1], "absent.json"], "absent.json"),
            ([], "files"),
        ]
        for (files, needle) in cases {
            let r = try PalsRunner.run(["merge"] + files, in: dir)
            #expect(r.status == 2, "\(files)")
            #expect(r.stdout.isEmpty, "\(files): \(r.stdout)")
            #expect(r.stderr.contains(needle), "\(files): \(r.stderr)")
        }
        // The complete set merges.
        let good = try PalsRunner.run(["merge"] + a, in: dir)
        #expect(good.status == 0, "\(good.stderr)")
    }
}

/// The acceptance runs of sharding: K = 3 shards of the UIC resilience table
/// for n = 2…6 and of the exhaustive check at (5, 2), each merged and compared
/// with the unsharded run. Long in a debug build (minutes per run on a loaded
/// machine): set PALS_LONG_TESTS=1 and preferably `swift test -c release`.
@Suite(
    .enabled(if: ProcessInfo.processInfo.environment["PALS_LONG_TESTS"] != nil, "set PALS_LONG_TESTS to run"),
    .timeLimit(.minutes(60)))
struct ShardAcceptanceTests {
    @Test func threeShardsOfTheResilienceTableMergeToTheWholeTable() throws {
        let r = try ShardCLITests.shardedAndWhole(["bounds", "uic", "--n", "2...6"], k: 3)
        #expect(r.whole.status == 1)
        #expect(r.merged.status == r.whole.status, "\(r.merged.stderr)")
        #expect(ShardCLITests.withoutSeconds(r.merged.stdout) == ShardCLITests.withoutSeconds(r.whole.stdout))
        let cells = try JSON.parse(r.merged.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["cells"]?.arrayValue
        #expect(cells?.count == 20)
        try ShardCLITests.expectSameFiles(r.wholeDir, r.shardDir)
    }

    @Test func threeShardsOfACheckMergeToTheWholeCheck() throws {
        let r = try ShardCLITests.shardedAndWhole(["check", "uic", "--n", "5", "--t", "2"], k: 3)
        #expect(r.whole.status == 0)
        #expect(r.merged.status == 0, "\(r.merged.stderr)")
        #expect(ShardCLITests.withoutSeconds(r.merged.stdout) == ShardCLITests.withoutSeconds(r.whole.stdout))
    }

}
