import Foundation
import PalsCore
import PalsTestSupport
import Testing

/// `--html` on check and replay: one self-contained file, the space-time
/// diagram of the counterexample as inline SVG.
@Suite(.timeLimit(.minutes(10))) struct HTMLReportCLITests {
    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// Every URL in the page; only the SVG namespace is allowed.
    func urls(in html: String) -> [String] {
        var out: [String] = []
        for scheme in ["http://", "https://"] {
            var rest = Substring(html)
            while let r = rest.range(of: scheme) {
                out.append(String(rest[r.lowerBound...].prefix { $0 != "\"" && $0 != " " && $0 != ")" }))
                rest = rest[r.upperBound...]
            }
        }
        return out
    }

    @Test func checkWritesTheCounterexampleAsInlineSVG() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let report = dir.appendingPathComponent("r.html").path
        let r = try PalsRunner.run(["check", "uic", "--n", "4", "--t", "2", "--out", dir.path, "--html", report])
        #expect(r.status == 1)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(urls(in: html).allSatisfy { $0 == "http://www.w3.org/2000/svg" }, "\(urls(in: html))")
        #expect(!html.contains("<script src") && !html.contains("<link") && !html.contains("<img"))
        // Two counterexamples (UniformAgreement, Validity), each a diagram
        // with one row per process.
        #expect(count("<svg", in: html) == 2)
        #expect(count("class=\"process\"", in: html) == 8)
        #expect(html.contains("<tr class=\"violated\"><td>UniformAgreement</td>"))
        #expect(html.contains("<tr class=\"holds\"><td>Termination</td>"))
        // The committed counterexample: 4 dropped links, 3 rounds of 4
        // processes with no crash: 3 × 12 − 4 = 32 delivered arrows.
        let cx = try CounterexampleFile.parse(
            try String(
                contentsOfFile: dir.appendingPathComponent("uic-standard-n4-t2-r3-UniformAgreement.json").path,
                encoding: .utf8))
        let first = try #require(html.components(separatedBy: "<svg").dropFirst().first)
        #expect(count("msg delivered", in: first) == 3 * 12 - cx.pattern.drops.count)
        #expect(count("msg dropped", in: first) == cx.pattern.drops.count)
    }

    @Test func replayReportShowsTheRunAndItsProperties() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let report = dir.appendingPathComponent("replay.html").path
        let file = PalsRunner.repository.appendingPathComponent(
            "counterexamples/uic-standard-n4-t2-r3-UniformAgreement.json"
        ).path
        let r = try PalsRunner.run(["replay", file, "--html", report])
        #expect(r.status == 1)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(count("<svg", in: html) == 1)
        #expect(html.contains("violated after round 3"))
        #expect(html.contains("class=\"highlight\""))
    }

    @Test func boundsFairnessAndUnobservabilityReports() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let b = dir.appendingPathComponent("b.html").path
        #expect(try PalsRunner.run(["bounds", "uic", "--n", "3...4", "--out", dir.path, "--html", b]).status == 1)
        let bounds = try String(contentsOfFile: b, encoding: .utf8)
        // Violated cells (3,2), (4,2), (4,3): one diagram each.
        #expect(count("<svg", in: bounds) == 3)
        #expect(bounds.contains("* holds"))
        #expect(urls(in: bounds).allSatisfy { $0 == "http://www.w3.org/2000/svg" })
        let f = dir.appendingPathComponent("f.html").path
        #expect(
            try PalsRunner.run(["fairness", "--n", "2", "--t", "1", "--M", "8", "--out", dir.path, "--html", f]).status
                == 0)
        let fairness = try String(contentsOfFile: f, encoding: .utf8)
        #expect(fairness.contains("P(unfair) = 1/8"))
        #expect(count("<svg", in: fairness) == 1)
        let u = dir.appendingPathComponent("u.html").path
        let r = try PalsRunner.run([
            "unobservability", "fair-exchange", "--mode", "fake-rounds-leaky", "--n", "3", "--t", "1", "--M", "4",
            "--out", dir.path,
            "--html", u,
        ])
        #expect(r.status == 1)
        let unobs = try String(contentsOfFile: u, encoding: .utf8)
        // The two runs side by side, the round that differs highlighted.
        #expect(count("<svg", in: unobs) == 2)
        #expect(count("<tr class=\"differs\">", in: unobs) == 1)
        #expect(unobs.contains("class=\"side\""))
    }

    @Test func campaignAndBackendReports() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let c = dir.appendingPathComponent("c.html").path
        let r = try PalsRunner.run([
            "campaign", "uic", "--n", "4", "--t", "1", "--runs", "200", "--seed", "1", "--out", dir.path, "--html", c,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let campaign = try String(contentsOfFile: c, encoding: .utf8)
        // The run-latency histogram and three series of injected faults.
        #expect(count("<svg", in: campaign) == 4)
        #expect(campaign.contains("Injected faults over the runs"))
        #expect(campaign.contains("<th>p99</th>"))
        let b = dir.appendingPathComponent("b.html").path
        let backend = PalsRunner.repository.appendingPathComponent("examples/backends/uic_broken.py").path
        let t = try PalsRunner.run([
            "test-backend", "uic", "--cmd", "python3 \(backend) --mutant no-halting", "--n", "5", "--t", "2", "--runs",
            "200",
            "--seed", "1", "--out", dir.path, "--html", b,
        ])
        #expect(t.status == 1, "\(t.stderr)")
        let report = try String(contentsOfFile: b, encoding: .utf8)
        #expect(report.contains("Verdict: failed"))
        #expect(count("<svg", in: report) == 1)
    }

    @Test func anUnwritableReportIsAnInputErrorBeforeAnyWork() throws {
        let r = try PalsRunner.run(["check", "uic", "--n", "3", "--t", "1", "--html", "/nonexistent/dir/r.html"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot write the report"))
        #expect(r.stdout.isEmpty)
    }
}
