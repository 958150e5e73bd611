import Foundation
import PalsTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("pals keygen / peer / cluster / campaign / oracle", .serialized, .timeLimit(.minutes(10)))
struct RuntimeCLITests {
    func object(_ s: String) throws -> [String: Any] {
        let line = s.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("cluster: four peer processes, encrypted frames, decisions printed, oracle conforms")
    func cluster() throws {
        let out = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run(["cluster", "uic", "--n", "4", "--t", "1", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("4 peer processes on loopback"))
        #expect(r.stdout.contains("oracle: conforms"))
        for i in 0..<4 { #expect(r.stdout.contains("p\(i) (input \(10 + i)): decided [10, 11, 12, 13]")) }
        // The trace replays through `pals oracle` with the keys beside it.
        let o = try PalsRunner.run(["oracle", out.appendingPathComponent("trace.json").path])
        #expect(o.status == 0 && o.stdout.contains("oracle: conforms"), "\(o.stdout)\(o.stderr)")
    }

    @Test("cluster with modules in child processes behind an APDU pipe")
    func clusterModuleProcesses() throws {
        let r = try PalsRunner.run(["cluster", "uic", "--n", "3", "--t", "1", "--module", "process", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try object(r.stdout)
        #expect((j["oracle"] as? [String: Any])?["verdict"] as? String == "conforms")
        #expect((j["results"] as? [Any])?.count == 3)
    }

    @Test("cluster under random and scripted adversaries conforms")
    func clusterAdversary() throws {
        for seed in ["1", "2", "5"] {
            let r = try PalsRunner.run([
                "cluster", "uic", "--n", "4", "--t", "1", "--adversary", "random", "--seed", seed, "--json",
            ])
            #expect(r.status == 0, "seed \(seed): \(r.stdout)\(r.stderr)")
        }
        let dir = try PalsRunner.temporaryDirectory()
        let pattern = dir.appendingPathComponent("p.json")
        try Data(#"{"faulty":[2],"crashes":[{"process":2,"round":2}],"drops":[{"round":1,"from":2,"to":0}]}"#.utf8)
            .write(to: pattern)
        let r = try PalsRunner.run(["cluster", "uic", "--n", "4", "--t", "1", "--adversary", pattern.path, "--json"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let realized = try #require((try object(r.stdout)["oracle"] as? [String: Any])?["realized"] as? [String: Any])
        #expect((realized["drops"] as? [Any])?.count == 1)
        #expect((realized["crashes"] as? [Any])?.count == 1)
    }

    @Test("a peer killed with SIGKILL mid-run: the others still decide the same correct vector")
    func killedPeer() throws {
        let r = try PalsRunner.run([
            "cluster", "uic", "--n", "4", "--t", "1", "--min-round", "300", "--kill", "3", "--kill-after", "150",
            "--json",
        ])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let j = try object(r.stdout)
        let results = try #require(j["results"] as? [Any])
        #expect(results[3] is NSNull)
        for i in 0..<3 {
            let d = try #require(results[i] as? [String: Any])
            #expect(d["decided"] as? Bool == true)
            let v = try #require(d["value"] as? [Any])
            // Correct processes' entries are their inputs; p3's is its input or ⊥, the same everywhere.
            #expect(v.prefix(3).compactMap { $0 as? Int } == [10, 11, 12])
            #expect("\(v)" == "\((results[0] as! [String: Any])["value"]!)")
        }
        let oracle = try #require(j["oracle"] as? [String: Any])
        #expect(oracle["verdict"] as? String == "conforms")
        let crashes = try #require((oracle["realized"] as? [String: Any])?["crashes"] as? [[String: Any]])
        #expect(crashes.count == 1 && crashes[0]["process"] as? Int == 3)
    }

    @Test("campaign --json reports runs, violations, disagreements and seconds")
    func campaign() throws {
        for transport in ["memory", "tcp"] {
            let r = try PalsRunner.run([
                "campaign", "uic", "--n", "4", "--t", "1", "--runs", "300", "--seed", "1", "--transport", transport,
                "--json",
            ])
            #expect(r.status == 0, "\(transport): \(r.stderr)")
            let j = try object(r.stdout)
            #expect(j["runs"] as? Int == 300)
            #expect(j["violations"] as? Int == 0)
            #expect(j["disagreements"] as? Int == 0)
            #expect((j["seconds"] as? Double).map { $0 > 0 } == true)
        }
    }

    @Test("a campaign at t ≥ n/2 finds violations, saves them, and the counterexamples replay")
    func campaignViolations() throws {
        let out = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run([
            "campaign", "uic", "--n", "2", "--t", "1", "--runs", "400", "--seed", "3", "--out", out.path, "--json",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        let j = try object(r.stdout)
        #expect((j["violations"] as? Int ?? 0) > 0)
        #expect(j["disagreements"] as? Int == 0)
        let saved = try #require(j["saved"] as? [String])
        let cx = try #require(saved.first { $0.contains("-n2-t1-") })
        let replay = try PalsRunner.run(["replay", cx])
        #expect(replay.status == 1, "\(replay.stdout)\(replay.stderr)")
        let trace = try #require(saved.first { $0.contains("/run-") })
        let oracle = try PalsRunner.run(["oracle", trace])
        #expect(oracle.status == 1 && oracle.stdout.contains("oracle: conforms") && oracle.stdout.contains("violated"))
    }

    @Test("the oracle catches a trace whose result was altered, naming the round and module")
    func alteredTrace() throws {
        let out = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run(["cluster", "uic", "--n", "3", "--t", "1", "--out", out.path])
        #expect(r.status == 0)
        let path = out.appendingPathComponent("trace.json")
        var trace = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
        var logs = try #require(trace["logs"] as? [[String: Any]])
        var decision = try #require(logs[1]["decision"] as? [String: Any])
        decision["value"] = [10, 99, 12]
        logs[1]["decision"] = decision
        trace["logs"] = logs
        try JSONSerialization.data(withJSONObject: trace).write(to: path)
        let o = try PalsRunner.run(["oracle", path.path, "--json"])
        #expect(o.status == 1, "\(o.stdout)\(o.stderr)")
        let j = try object(o.stdout)
        #expect(j["verdict"] as? String == "disagrees")
        let d = try #require(j["disagreement"] as? [String: Any])
        #expect(d["module"] as? Int == 1 && d["round"] as? Int == 3)
    }

    @Test("cluster runs SMC with every built-in function and the oracle agrees")
    func clusterSMC() throws {
        let expected: [String: String] = [
            "sum": "[24, ⊥, ⊥, ⊥]", "max": "[9, ⊥, ⊥, ⊥]", "majority": "[1, ⊥, ⊥, ⊥]",
            "auction": "[1, 7, ⊥, ⊥]", "identity": "[5, 9, 7, 3]",
        ]
        for (f, result) in expected.sorted(by: { $0.key < $1.key }) {
            let inputs = f == "majority" ? "1,1,0,1" : "5,9,7,3"
            let r = try PalsRunner.run(["cluster", "smc", "--n", "4", "--t", "1", "--function", f, "--inputs", inputs])
            #expect(r.status == 0, "\(f): \(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("oracle: conforms"), "\(f)")
            #expect(r.stdout.contains("decided \(result)"), "\(f): \(r.stdout)")
        }
    }

    @Test("fair exchange on the runtime: p0's module draws ρ, the oracle replays with it")
    func clusterFairExchange() throws {
        let out = try PalsRunner.temporaryDirectory()
        let r = try PalsRunner.run([
            "cluster", "fair-exchange", "--n", "3", "--t", "1", "--M", "8", "--out", out.path, "--json",
        ])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect((try object(r.stdout)["oracle"] as? [String: Any])?["verdict"] as? String == "conforms")
        let trace = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("trace.json")))
                as? [String: Any])
        let logs = try #require(trace["logs"] as? [[String: Any]])
        let hostInput = try #require(logs[0]["input"] as? Int)
        let moduleInput = try #require(logs[0]["moduleInput"] as? Int)
        // ρ sits above the items and descriptions (4 bits each, n + 1 fields).
        #expect(hostInput >> 16 == 0)
        #expect((1...8).contains(moduleInput >> 16))
        #expect(moduleInput & 0xFFFF == hostInput)
    }

    @Test("a fake-rounds campaign under the worst pattern: unfair rate near the exact bound 1/M, never a disagreement")
    func fairExchangeCampaign() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let f = try PalsRunner.run(["fairness", "--n", "2", "--t", "1", "--M", "8", "--out", dir.path, "--json"])
        #expect(f.status == 0)
        let cx = try #require(try object(f.stdout)["counterexample"] as? String)
        let r = try PalsRunner.run([
            "campaign", "fair-exchange", "--n", "2", "--t", "1", "--M", "8", "--runs", "2000", "--seed", "2",
            "--adversary", cx, "--out", dir.path, "--json",
        ])
        #expect(r.status == 1)
        let j = try object(r.stdout)
        #expect(j["worstCaseUnfairness"] as? String == "1/8")
        #expect(j["disagreements"] as? Int == 0 && j["outsideModel"] as? Int == 0)
        let rate = try #require(j["unfairRate"] as? Double)
        // 9 runs in 10 have matching items; ρ = 8 in 1 of 8 of them.
        #expect(rate > 0.08 && rate < 0.145, "rate \(rate)")
        // The random adversary stays far below the bound, and the
        // deterministic mode (t < n/2) is never unfair.
        let random = try object(
            try PalsRunner.run([
                "campaign", "fair-exchange", "--n", "2", "--t", "1", "--M", "8", "--runs", "1000", "--seed", "2",
                "--out", dir.path, "--json",
            ]).stdout)
        #expect((random["unfairRate"] as? Double ?? 1) <= 0.125)
        let det = try PalsRunner.run([
            "campaign", "fair-exchange", "--n", "3", "--t", "1", "--mode", "deterministic", "--runs", "1000", "--json",
        ])
        #expect(det.status == 0)
        let dj = try object(det.stdout)
        #expect(dj["unfairRuns"] as? Int == 0 && dj["worstCaseUnfairness"] as? String == "0")
    }

    @Test("SMC campaigns with every function conform at t < n/2")
    func smcCampaigns() throws {
        for f in ["sum", "max", "majority", "auction", "identity"] {
            let r = try PalsRunner.run([
                "campaign", "smc", "--n", "4", "--t", "1", "--function", f, "--runs", "300", "--json",
            ])
            #expect(r.status == 0, "\(f): \(r.stdout)\(r.stderr)")
            let j = try object(r.stdout)
            #expect(j["violations"] as? Int == 0 && j["disagreements"] as? Int == 0, "\(f)")
        }
    }

    @Test("keygen and peer: bad input is one clear error line and exit 2")
    func badInput() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let k = try PalsRunner.run(["keygen", "--n", "3", "--out", dir.path, "--base-port", "7700"])
        #expect(k.status == 0)
        #expect(try PalsRunner.run(["keygen", "--n", "3", "--out", dir.path]).status == 2)  // refuses to overwrite
        let roster = dir.appendingPathComponent("roster.json").path
        let bad = dir.appendingPathComponent("bad.json")
        try Data("{\"schema\":\"trustedpals/roster/v1\",\"peers\":[{\"id\":0,\"publicKey\":\"abcd\"}]}".utf8).write(
            to: bad)
        let wrongKey = dir.appendingPathComponent("key-1.json").path
        let cases: [[String]] = [
            [
                "peer", "uic", "--n", "3", "--t", "1", "--id", "0", "--roster", bad.path, "--input", "1", "--session",
                "0011223344556677",
            ],
            [
                "peer", "uic", "--n", "3", "--t", "1", "--id", "7", "--roster", roster, "--input", "1", "--session",
                "0011223344556677",
            ],
            [
                "peer", "uic", "--n", "3", "--t", "1", "--id", "0", "--roster", roster, "--key", wrongKey, "--input",
                "1", "--session", "0011223344556677",
            ],
            [
                "peer", "uic", "--n", "4", "--t", "1", "--id", "0", "--roster", roster, "--input", "1", "--session",
                "0011223344556677",
            ],
            [
                "peer", "uic", "--n", "3", "--t", "1", "--id", "0", "--roster", roster, "--input", "1", "--session",
                "xyz",
            ],
            [
                "peer", "uic", "--n", "3", "--t", "2", "--id", "0", "--roster", roster, "--input", "1", "--session",
                "0011223344556677", "--adversary", roster,
            ],
            ["cluster", "floodset", "--n", "3", "--t", "1"],
            ["cluster", "uic", "--n", "3", "--t", "3"],
            ["cluster", "uic", "--n", "3", "--t", "1", "--inputs", "1,2"],
            ["campaign", "uic", "--n", "3", "--t", "1", "--transport", "carrier-pigeon"],
            ["campaign", "uic", "--n", "3", "--t", "1", "--runs", "0"],
            ["cluster", "smc", "--n", "3", "--t", "1", "--function", "sum-unpadded"],
            ["cluster", "smc", "--n", "3", "--t", "1", "--function", "median"],
            ["cluster", "fair-exchange", "--n", "3", "--t", "1", "--mode", "fake-rounds-leaky"],
            ["campaign", "fair-exchange", "--n", "3", "--t", "1", "--M", "0"],
            ["campaign", "uic", "--n", "3", "--t", "1", "--M", "4"],
            ["oracle", roster],
            ["oracle", dir.appendingPathComponent("missing.json").path],
        ]
        for args in cases {
            let r = try PalsRunner.run(args)
            #expect(r.status == 2, "\(args): exit \(r.status) \(r.stdout)\(r.stderr)")
            #expect(r.stderr.hasPrefix("error: ") || r.stderr.contains("Error:"), "\(args): \(r.stderr)")
        }
    }

    @Test("peer: a port in use is a clear error", .timeLimit(.minutes(10)))
    func portInUse() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let k = try PalsRunner.run(["keygen", "--n", "2", "--out", dir.path])
        #expect(k.status == 0)
        let roster = dir.appendingPathComponent("roster.json").path
        // Hold a port the system chose.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        #expect(bound && listen(fd, 1) == 0)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let r = try PalsRunner.run([
            "peer", "uic", "--n", "2", "--t", "0", "--id", "1", "--roster", roster, "--input", "2", "--session",
            "0011223344556677", "--listen", "127.0.0.1:\(port)",
        ])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("cannot listen on 127.0.0.1:\(port)"))
    }
}
