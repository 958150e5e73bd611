import Foundation
import PalsCore
import PalsProtocols

/// Lays out a counterexample's run for drawing: re-runs it through
/// `simulate`.
struct SpaceTimeVisitor: ConcreteModelVisitor {
    typealias Result = SpaceTimeRun
    var inputs: [Int]
    var pattern: FailurePattern
    var model: FaultModel

    func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> SpaceTimeRun where P.L == Concrete, P.State: Hashable {
        SpaceTimeRun(try simulate(proto, inputs: inputs, pattern: pattern, model: model), describe: describe)
    }
}

/// The same for a protocol that models what hosts observe: the diagram also
/// shows which frames its modules do not put on the wire.
struct ObservedSpaceTimeVisitor: ObservableModelVisitor {
    typealias Result = SpaceTimeRun
    var inputs: [Int]
    var pattern: FailurePattern
    var model: FaultModel

    func visit<P: Observable & Sendable>(
        _ proto: P, describe: @escaping (P.State) -> String
    ) throws -> SpaceTimeRun where P.L == Concrete, P.State: Hashable {
        let trace = try simulate(proto, inputs: inputs, pattern: pattern, model: model)
        return SpaceTimeRun(trace, describe: describe, silent: silentLinks(proto, trace))
    }
}

/// The run of a counterexample file, ready to draw.
func spaceTimeRun(_ cx: CounterexampleFile) throws -> SpaceTimeRun {
    let spec = ModelSpec(protocolName: cx.protocolName, variant: cx.variant, n: cx.n, t: cx.t, rounds: cx.rounds)
    if Catalog.observable.contains(cx.protocolName) {
        return try Catalog.visitObservable(
            spec, ObservedSpaceTimeVisitor(inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel))
    }
    return try Catalog.visit(spec, SpaceTimeVisitor(inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel))
}

/// One property's line in a report.
struct ReportedProperty {
    var name: String
    var kind: String
    var status: String
    var counterexample: String?
}

/// Adds a counterexample's diagram, the round after which it fails shaded.
func addCounterexample(_ report: inout HTMLReport, _ cx: CounterexampleFile, path: String?) throws {
    let run = try spaceTimeRun(cx)
    report.section("Counterexample for \(cx.property)")
    var facts = "faulty \(cx.pattern.faulty), \(cx.pattern.drops.count) dropped message(s), \(cx.pattern.crashes.count) crash(es); "
    facts += "inputs \(cx.inputs.map(String.init).joined(separator: ",")); \(cx.property) fails after round \(cx.violatedAfterRound)"
    if let path { facts += "; file \(path)" }
    report.paragraph(facts)
    report.diagram(
        run, caption: "\(cx.protocolName)/\(cx.variant) n=\(cx.n) t=\(cx.t): the run that violates \(cx.property)",
        highlightRound: cx.violatedAfterRound)
}

/// The report of `pals check`: every property's verdict, the search's
/// figures, and each counterexample's space-time diagram.
func checkHTML(
    title: String, properties: [ReportedProperty], summary: [String], counterexamples: [(CounterexampleFile, String?)]
) throws -> String {
    var report = HTMLReport(title: title)
    report.section("Properties")
    report.table(
        header: ["property", "kind", "status", "counterexample"],
        rows: properties.map { [$0.name, $0.kind, $0.status, $0.counterexample ?? "-"] },
        classes: properties.map { p in
            switch p.status {
            case "holds", "witnessed": return "holds"
            case "violated", "not-witnessed", "internal-disagreement": return "violated"
            default: return "unknown"
            }
        })
    for line in summary { report.paragraph(line) }
    for (cx, path) in counterexamples { try addCounterexample(&report, cx, path: path) }
    return report.html
}

/// Writes a report; an unwritable path is an input error.
func writeHTML(_ html: String, to path: String) throws(PalsError) {
    do {
        try Data(html.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        throw PalsError(.invalidArgument, "cannot write the report to \(path): \(error.localizedDescription)")
    }
}

extension CheckReport {
    /// The HTML report of an explicit check.
    func html() throws -> String {
        try checkHTML(
            title: "pals check \(spec) — explicit engine",
            properties: result.verdicts.map {
                ReportedProperty(
                    name: $0.name, kind: $0.kind.rawValue, status: $0.status.rawValue,
                    counterexample: counterexample(for: $0.name)?.path)
            },
            summary: [
                "\(rounds) round(s), inputs \(inputs.map(String.init).joined(separator: ","))",
                "\(result.states) states, \(result.transitions) transitions, \(result.faultySetsExplored)/\(result.faultySetsTotal) faulty sets"
                    + (result.complete ? "" : " (stopped at the first violation)"),
                "verdict: \(result.verdict.rawValue)",
            ],
            counterexamples: counterexamples.map { ($0.file, $0.path) })
    }
}

extension SymbolicCLIReport {
    /// The HTML report of a symbolic check.
    func html() throws -> String {
        try checkHTML(
            title: "pals check \(report.spec) — symbolic engine (Z3 \(report.z3Version))",
            properties: report.properties.map {
                ReportedProperty(
                    name: $0.name, kind: $0.kind.rawValue, status: $0.status.rawValue,
                    counterexample: counterexample(for: $0.name)?.path)
            },
            summary: [
                "\(report.rounds) round(s), inputs \(report.inputs.map(String.init).joined(separator: ","))",
                "verdict: \(report.verdict.rawValue)",
            ],
            counterexamples: counterexamples.map { ($0.file, $0.path) })
    }
}

/// Fails early, before any work, when a report could not be written.
func checkWritable(_ path: String?) throws(PalsError) {
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
func replayHTML(_ cx: CounterexampleFile, file: String, report: ReplayReport) throws -> String {
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
