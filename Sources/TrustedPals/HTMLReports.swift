import Foundation
import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime

/// Lays out a counterexample's run for drawing: re-runs it through
/// `simulate`.
public struct SpaceTimeVisitor: ConcreteModelVisitor {
    /// The laid-out run, ready to draw.
    public typealias Result = SpaceTimeRun
    /// The inputs of p0 … p(n−1).
    public var inputs: [Int]
    /// The failure pattern of the run: faulty set, crashes and dropped links.
    public var pattern: FailurePattern
    /// The fault model the pattern is read under.
    public var model: FaultModel

    /// Runs `proto` on the inputs under the pattern and lays out its trace, each
    /// state rendered by `describe`.
    public func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> SpaceTimeRun where P.L == Concrete, P.State: Hashable {
        SpaceTimeRun(try simulate(proto, inputs: inputs, pattern: pattern, model: model), describe: describe)
    }
}

/// The same for a protocol that models what hosts observe: the diagram also
/// shows which frames its modules do not put on the wire.
public struct ObservedSpaceTimeVisitor: ObservableModelVisitor {
    /// The laid-out run, ready to draw.
    public typealias Result = SpaceTimeRun
    /// The inputs of p0 … p(n−1).
    public var inputs: [Int]
    /// The failure pattern of the run: faulty set, crashes and dropped links.
    public var pattern: FailurePattern
    /// The fault model the pattern is read under.
    public var model: FaultModel

    /// Runs `proto` on the inputs under the pattern and lays out its trace,
    /// with the links on which no frame goes out marked silent.
    public func visit<P: Observable & Sendable>(
        _ proto: P, describe: @escaping (P.State) -> String
    ) throws -> SpaceTimeRun where P.L == Concrete, P.State: Hashable {
        let trace = try simulate(proto, inputs: inputs, pattern: pattern, model: model)
        return SpaceTimeRun(trace, describe: describe, silent: silentLinks(proto, trace))
    }
}

/// The run of a counterexample file, ready to draw.
public func spaceTimeRun(_ cx: CounterexampleFile) throws -> SpaceTimeRun {
    let spec = ModelSpec(protocolName: cx.protocolName, variant: cx.variant, n: cx.n, t: cx.t, rounds: cx.rounds)
    if Catalog.observable.contains(cx.protocolName) {
        return try Catalog.visitObservable(
            spec, ObservedSpaceTimeVisitor(inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel))
    }
    return try Catalog.visit(spec, SpaceTimeVisitor(inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel))
}

/// One property's line in a report.
public struct ReportedProperty {
    /// The property's name as the protocol declares it (e.g. "UniformAgreement").
    public var name: String
    /// The property's kind as its raw value ("always", "atHorizon",
    /// "sometimes").
    public var kind: String
    /// The property's verdict.
    public var status: Verdict
    /// The path of the property's counterexample file; nil when there is none.
    public var counterexample: String?
}

/// Adds a counterexample's diagram, the round after which it fails shaded.
public func addCounterexample(_ report: inout HTMLReport, _ cx: CounterexampleFile, path: String?) throws {
    let run = try spaceTimeRun(cx)
    report.section("Counterexample for \(cx.property)")
    var facts =
        "faulty \(cx.pattern.faulty), \(cx.pattern.drops.count) dropped message(s), \(cx.pattern.crashes.count) crash(es); "
    facts +=
        "inputs \(cx.inputs.map(String.init).joined(separator: ",")); \(cx.property) fails after round \(cx.violatedAfterRound)"
    if let path { facts += "; file \(path)" }
    report.paragraph(facts)
    report.diagram(
        run, caption: "\(cx.protocolName)/\(cx.variant) n=\(cx.n) t=\(cx.t): the run that violates \(cx.property)",
        highlightRound: cx.violatedAfterRound)
}

/// The report of `pals check`: every property's verdict, the search's
/// figures, and each counterexample's space-time diagram.
public func checkHTML(
    title: String, properties: [ReportedProperty], summary: [String], counterexamples: [(CounterexampleFile, String?)]
) throws -> String {
    var report = HTMLReport(title: title)
    report.section("Properties")
    report.table(
        header: ["property", "kind", "status", "counterexample"],
        rows: properties.map { [$0.name, $0.kind, $0.status.rawValue, $0.counterexample ?? "-"] },
        classes: properties.map { p in
            switch p.status {
            case .holds, .witnessed: return "holds"
            case .violated, .notWitnessed, .internalDisagreement: return "violated"
            case .unknown, .unchecked: return "unknown"
            }
        })
    for line in summary { report.paragraph(line) }
    for (cx, path) in counterexamples { try addCounterexample(&report, cx, path: path) }
    return report.html
}

/// Writes a report; an unwritable path is an input error.
public func writeHTML(_ html: String, to path: String) throws(PalsError) {
    do {
        try Data(html.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw PalsError(.invalidArgument, "cannot write the report to \(path): \(error.localizedDescription)")
    }
}

extension CheckReport {
    /// The HTML report of a check: the properties, what the engine did, the
    /// verdict and the counterexamples.
    public func html() throws -> String {
        var title = "pals check \(spec) — explicit engine"
        var summary = ["\(rounds) round(s), inputs \(inputs.map(String.init).joined(separator: ","))"]
        switch effort {
        case .explored(let result):
            summary.append(
                "\(result.states) states, \(result.transitions) transitions, \(result.faultySetsExplored)/\(result.faultySetsTotal) faulty sets"
                    + (result.complete ? "" : " (stopped at the first violation)"))
        case .solved(let report):
            title = "pals check \(spec) — symbolic engine (Z3 \(report.z3Version))"
        }
        summary.append("verdict: \(verdict.rawValue)")
        return try checkHTML(
            title: title,
            properties: properties.map {
                ReportedProperty(
                    name: $0.name, kind: $0.kind.rawValue, status: $0.status,
                    counterexample: counterexample(for: $0.name)?.path)
            },
            summary: summary,
            counterexamples: counterexamples.map { ($0.file, $0.path) })
    }
}

/// Fails early, before any work, when a report could not be written.
public func checkWritable(_ path: String?) throws(PalsError) {
    guard let path else { return }
    let url = URL(fileURLWithPath: path)
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        guard !isDirectory.boolValue, FileManager.default.isWritableFile(atPath: path) else {
            throw PalsError(.invalidArgument, "cannot write the report to \(path)")
        }
        return
    }
    let parent = url.deletingLastPathComponent().path
    guard FileManager.default.isWritableFile(atPath: parent.isEmpty ? "." : parent) else {
        throw PalsError(.invalidArgument, "cannot write the report to \(path): \(parent) is not a writable folder")
    }
}

/// The report of `pals replay`: the run's diagram and every property.
public func replayHTML(_ cx: CounterexampleFile, file: String, report: ReplayReport) throws -> String {
    var html = HTMLReport(title: "pals replay \(file)")
    html.section("Properties on this run")
    let rows = report.violations.filter { $0.kind != .sometimes }
    html.table(
        header: ["property", "status"],
        rows: rows.map { [$0.name, $0.afterRound.map { "violated after round \($0)" } ?? "holds"] },
        classes: rows.map { $0.afterRound == nil ? "holds" : "violated" })
    try addCounterexample(&html, cx, path: file)
    return html.html
}

/// One cell of a resilience table as a report shows it.
public struct ReportedCell {
    /// The number of processes.
    public var n: Int
    /// The largest number of faulty processes.
    public var t: Int
    /// The cell's verdict ("holds", "violated", "unknown", …).
    public var verdict: String
    /// The engine that checked the cell, "explicit" or "symbolic".
    public var engine: String
    /// Wall-clock seconds spent checking the cell.
    public var seconds: Double
    /// The names of the violated properties, in property order.
    public var violated: [String]
    /// The cell's first counterexample and the path it was written to; nil
    /// when no property is violated.
    public var counterexample: (file: CounterexampleFile, path: String?)?
}

extension CheckReport {
    /// The check as a cell of a resilience table's report, with its first
    /// counterexample.
    public var reported: ReportedCell {
        ReportedCell(
            n: spec.n, t: spec.t, verdict: verdict.rawValue, engine: engine.rawValue, seconds: seconds,
            violated: violated, counterexample: counterexamples.first.map { ($0.file, $0.path) })
    }
}

/// The report of `pals bounds`: the table as an n × t grid (t < n/2 marked)
/// and the diagram of every violated cell's first counterexample.
public func boundsHTML(title: String, cells: [ReportedCell]) throws -> String {
    var report = HTMLReport(title: title)
    let ns = cells.map(\.n).reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
    let maxT = cells.map(\.t).max() ?? 0
    report.section(
        "Resilience table",
        "Rows n, columns t; a cell with t < n/2 is marked *. The theorem: UIC is solvable iff t < n/2.")
    var rows: [[String]] = []
    for n in ns {
        var row = ["n = \(n)"]
        for t in 0...maxT {
            guard let c = cells.first(where: { $0.n == n && $0.t == t }) else {
                row.append("")
                continue
            }
            row.append(
                (2 * t < n ? "* " : "") + c.verdict
                    + (c.violated.isEmpty ? "" : " (" + c.violated.joined(separator: ", ") + ")"))
        }
        rows.append(row)
    }
    report.table(header: ["n \\ t"] + (0...maxT).map { "t = \($0)" }, rows: rows)
    report.table(
        header: ["n", "t", "engine", "verdict", "seconds", "counterexample"],
        rows: cells.map {
            [String($0.n), String($0.t), $0.engine, $0.verdict, fmt($0.seconds), $0.counterexample?.path ?? "-"]
        },
        classes: cells.map { $0.verdict == "holds" ? "holds" : $0.verdict == "violated" ? "violated" : "unknown" })
    for c in cells {
        if let (file, path) = c.counterexample { try addCounterexample(&report, file, path: path) }
    }
    return report.html
}

/// The report of `pals fairness`: the probability and the attaining run.
public func fairnessHTML(_ r: FairnessReport) throws -> String {
    var report = HTMLReport(title: "pals fairness — fair-exchange n=\(r.spec.n) t=\(r.spec.t) (\(r.mode.rawValue))")
    report.section(
        "Worst-case probability of an unfair exchange",
        r.stopReason.map { reason in
            "P(unfair) ≥ \(r.probability): a lower bound, from the faulty sets searched before the search stopped (\(reason))"
        } ?? "P(unfair) = \(r.probability) over every failure pattern")
    report.table(
        header: ["n", "t", "mode", "M", "runs (values of ρ)", "unfair runs", "probability", "engine"],
        rows: [
            [
                String(r.spec.n), String(r.spec.t), r.mode.rawValue, r.mode == .deterministic ? "-" : String(r.M),
                String(r.runs),
                String(r.unfairRuns), r.probability.description, r.engine,
            ]
        ])
    if let c = r.counterexample {
        if !r.unfairRhos.isEmpty {
            report.paragraph("unfair for ρ ∈ {\(r.unfairRhos.map(String.init).joined(separator: ", "))}")
        }
        try addCounterexample(&report, c.file, path: c.path)
    }
    return report.html
}

/// One round of a host's observations in two runs.
public struct ObservationRow {
    /// The round whose observations the row holds, 1…R.
    public var round: Int
    /// What the host observes in run A.
    public var a: String
    /// What the host observes in run B.
    public var b: String
}

/// Re-simulates a noninterference counterexample's two runs: their diagrams
/// and the faulty host's observations round by round.
public struct TwoRunsVisitor: ObservableModelVisitor {
    /// The diagrams of runs A and B, and the host's observations in each round.
    public typealias Result = (a: SpaceTimeRun, b: SpaceTimeRun, rows: [ObservationRow])
    /// The counterexample: the faulty host, the failure pattern, and the two
    /// runs' inputs.
    public var c: InterferenceCounterexample

    /// Simulates both runs of `proto` under the counterexample's pattern and
    /// records, round by round, what the faulty host observes in each.
    public func visit<P: Observable & Sendable>(
        _ proto: P, describe: @escaping (P.State) -> String
    ) throws -> Result where P.L == Concrete, P.State: Hashable {
        let ta = try simulate(proto, inputs: c.inputsA, pattern: c.pattern)
        let tb = try simulate(proto, inputs: c.inputsB, pattern: c.pattern)
        var rows: [ObservationRow] = []
        for r in stride(from: 1, through: proto.rounds, by: 1) {
            let alive = (0..<proto.n).map { !ta.crashed[r].contains($0) }
            let oa = HostObservation.of(
                proto, host: c.host, round: r, before: ta.states[r - 1], after: ta.states[r][c.host], alive: alive)
            let ob = HostObservation.of(
                proto, host: c.host, round: r, before: tb.states[r - 1], after: tb.states[r][c.host], alive: alive)
            rows.append(ObservationRow(round: r, a: oa.text, b: ob.text))
        }
        return (
            SpaceTimeRun(ta, describe: describe, silent: silentLinks(proto, ta)),
            SpaceTimeRun(tb, describe: describe, silent: silentLinks(proto, tb)), rows
        )
    }
}

/// The report of `pals unobservability`: every property's verdict and, for
/// a violation, the two runs side by side with the first observation that
/// differs highlighted.
public func unobservabilityHTML(_ r: UnobservabilityReport) throws -> String {
    var report = HTMLReport(title: "pals unobservability \(r.spec) — \(r.engine) engine")
    report.section("Properties")
    report.table(
        header: ["property", "status", "counterexample"],
        rows: r.verdicts.map { [$0.name, $0.status.rawValue, $0.counterexample?.path ?? "-"] },
        classes: r.verdicts.map { $0.status == .holds ? "holds" : $0.status == .violated ? "violated" : "unknown" })
    for v in r.verdicts {
        guard let c = v.counterexample else { continue }
        let (a, b, rows) = try Catalog.visitObservable(c.spec, TwoRunsVisitor(c: c))
        report.section(
            "\(v.name) violated: host p\(c.host) tells the runs apart in round \(c.round)",
            "faulty \(c.pattern.faulty); run A inputs \(c.inputsA.map(String.init).joined(separator: ",")); run B inputs \(c.inputsB.map(String.init).joined(separator: ","))"
        )
        report.table(
            header: ["round", "host p\(c.host) observes in run A", "in run B"],
            rows: rows.map { [String($0.round), $0.a, $0.b] },
            classes: rows.map { $0.round == c.round ? "differs" : "" })
        report.raw("<div class=\"side\">")
        report.diagram(a, caption: "run A", highlightRound: c.round)
        report.diagram(b, caption: "run B", highlightRound: c.round)
        report.raw("</div>")
    }
    return report.html
}

/// A bar chart as inline SVG: one bar per value, labels under the first and
/// the last bar.
public func barChartSVG(_ values: [Double], color: String, caption: String, firstLabel: String, lastLabel: String)
    -> String
{
    let width = 640
    let height = 160
    let peak = max(values.max() ?? 0, 1e-12)
    let bar = Double(width - 20) / Double(max(values.count, 1))
    var s =
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(width)\" height=\"\(height + 20)\" font-size=\"11\" font-family=\"monospace\">"
    s += "<line x1=\"10\" y1=\"\(height)\" x2=\"\(width - 10)\" y2=\"\(height)\" stroke=\"#999\"/>"
    for (k, v) in values.enumerated() {
        let h = Double(height - 10) * v / peak
        let x = 10 + Double(k) * bar
        s +=
            "<rect x=\"\(fmtSVG(x))\" y=\"\(fmtSVG(Double(height) - h))\" width=\"\(fmtSVG(max(bar - 1, 0.5)))\" height=\"\(fmtSVG(h))\" fill=\"\(color)\"/>"
    }
    s += "<text x=\"10\" y=\"\(height + 14)\">\(SpaceTimeSVG.escape(firstLabel))</text>"
    s += "<text x=\"\(width - 10)\" y=\"\(height + 14)\" text-anchor=\"end\">\(SpaceTimeSVG.escape(lastLabel))</text>"
    s += "<text x=\"\(width - 10)\" y=\"12\" text-anchor=\"end\">max \(fmtSVG(peak))</text></svg>"
    return s + "<figcaption>\(SpaceTimeSVG.escape(caption))</figcaption></figure>"
}

/// A coordinate of an SVG drawing, with one decimal.
public func fmtSVG(_ x: Double) -> String { String(format: "%.1f", x) }

/// The report of `pals campaign`: runs and verdicts, the round-latency
/// histogram and percentiles, and the faults injected over the runs.
public func campaignHTML(title: String, facts: [String], result r: CampaignResult) -> String {
    var report = HTMLReport(title: title)
    report.section("Runs")
    for line in facts { report.paragraph(line) }
    report.table(
        header: ["runs", "violations", "disagreements", "outside the model", "seconds"],
        rows: [
            [String(r.runs), String(r.violations), String(r.disagreements), String(r.outsideModel), fmt(r.seconds)]
        ],
        classes: [r.violations + r.disagreements + r.outsideModel == 0 ? "holds" : "violated"])
    let violated = r.violationsByProperty.filter { $0.runs > 0 }
    if !violated.isEmpty {
        report.table(header: ["property", "runs violating it"], rows: violated.map { [$0.property, String($0.runs)] })
    }
    for (name, samples) in [("round", r.roundLatencies), ("run", r.runTimes)] where !samples.isEmpty {
        let us = samples.map { $0 * 1e6 }
        report.section("\(name.prefix(1).uppercased() + name.dropFirst()) latency (µs)")
        report.table(
            header: ["samples", "median", "p90", "p99", "p99.9", "max"],
            rows: [
                [String(us.count)] + [0.5, 0.9, 0.99, 0.999].map { String(Int(Stats.quantile(us, $0).rounded())) }
                    + [String(Int((us.max() ?? 0).rounded()))]
            ])
        // Bins up to the p99.9 (the rest in the last bin).
        let top = max(Stats.quantile(us, 0.999), 1)
        let bins = 40
        var counts = [Double](repeating: 0, count: bins)
        for v in us { counts[min(bins - 1, Int(v / top * Double(bins)))] += 1 }
        report.raw(
            barChartSVG(
                counts, color: "#1f5fa8",
                caption:
                    "\(name) latency histogram: \(bins) bins from 0 to \(Int(top)) µs (the last bin holds the rest)",
                firstLabel: "0 µs", lastLabel: "\(Int(top)) µs"))
    }
    if !r.injectedPerRun.isEmpty {
        report.section(
            "Injected faults over the runs",
            "\(r.injectedFaulty) faulty processes, \(r.injectedCrashes) crashes, \(r.injectedDrops) dropped links in all"
        )
        let buckets = min(r.injectedPerRun.count, 100)
        func series(_ get: ((faulty: Int, crashes: Int, drops: Int)) -> Int) -> [Double] {
            (0..<buckets).map { b in
                let lo = b * r.injectedPerRun.count / buckets
                let hi = max(lo + 1, (b + 1) * r.injectedPerRun.count / buckets)
                return Double(r.injectedPerRun[lo..<hi].reduce(0) { $0 + get($1) }) / Double(hi - lo)
            }
        }
        let last = "run \(r.injectedPerRun.count)"
        report.raw(
            barChartSVG(
                series { $0.drops }, color: "#b3261e",
                caption: "dropped links per run (mean over \(buckets) groups of runs)", firstLabel: "run 1",
                lastLabel: last))
        report.raw(
            barChartSVG(
                series { $0.crashes }, color: "#222", caption: "crashes per run", firstLabel: "run 1", lastLabel: last))
        report.raw(
            barChartSVG(
                series { $0.faulty }, color: "#8a5cf6", caption: "faulty processes per run", firstLabel: "run 1",
                lastLabel: last))
    }
    if !r.rejectedFrames.isEmpty {
        report.section("Frames the modules rejected")
        report.table(
            header: ["reason", "frames"],
            rows: FrameVerdict.allCases.compactMap { v in r.rejectedFrames[v].map { [v.description, String($0)] } })
    }
    return report.html
}

/// The report of `pals test-backend`: what ran, the verdict, the failure as
/// text and the shrunk run's diagram.
public func backendHTML(title: String, facts: [String], verdict: String, failure: String?, counterexamples: [String])
    throws -> String
{
    var report = HTMLReport(title: title)
    report.section("Verdict: \(verdict)")
    report.table(header: ["verdict"], rows: [[verdict]], classes: [verdict == "passed" ? "holds" : "violated"])
    for line in facts { report.paragraph(line) }
    if let failure {
        report.section("The first failing run")
        report.preformatted(failure)
    }
    for path in counterexamples {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let cx = try? CounterexampleFile.parse(text)
        else {
            continue
        }
        try addCounterexample(&report, cx, path: path)
    }
    return report.html
}
