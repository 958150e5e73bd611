import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols
import Testing
import TrustedPals

/// Both engines answer a check with the same `CheckReport`: the same
/// properties, verdicts and counterexample files; only `effort` differs.
@Suite(.serialized, .timeLimit(.minutes(10))) struct OneReportTests {
    private func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pals-one-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    private func bothEngines(_ spec: ModelSpec) throws -> (explicit: CheckReport, symbolic: CheckReport) {
        let out = try scratch()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let explicit = try Catalog.visit(spec, CheckVisitor(spec: spec, inputs: nil, options: ExplorerOptions()))
        let symbolic = try symbolicCheckWritingFiles(
            spec: spec, faultModel: .generalOmission, timeout: nil, inputs: nil, out: out)
        return (explicit, symbolic)
    }

    @Test(arguments: [
        ModelSpec(protocolName: "uic", n: 3, t: 1), ModelSpec(protocolName: "uic", n: 4, t: 2),
        ModelSpec(protocolName: "uic", variant: "no-halting", n: 3, t: 1),
        ModelSpec(protocolName: "floodset", n: 3, t: 1), ModelSpec(protocolName: "smc", n: 3, t: 1),
    ])
    func bothEnginesReportTheSameVerdictsAndFiles(_ spec: ModelSpec) throws {
        let (e, s) = try bothEngines(spec)
        #expect(e.engine == .explicit && s.engine == .symbolic)
        #expect(e.explored != nil && e.solved == nil && s.solved != nil && s.explored == nil)
        #expect(e.states != nil && s.states == nil)
        #expect(e.spec == s.spec && e.rounds == s.rounds && e.inputs == s.inputs)
        #expect(e.verdict == s.verdict, "\(spec)")
        #expect(e.exitStatus == s.exitStatus)
        #expect(e.violated == s.violated, "\(spec)")
        let es = e.propertyStatuses
        let ss = s.propertyStatuses
        #expect(es.map(\.name) == ss.map(\.name))
        #expect(es.map(\.status) == ss.map(\.status), "\(spec)")
        #expect(e.reported.verdict == s.reported.verdict && e.reported.violated == s.reported.violated)
        // Canonical counterexamples: one name, one content, whichever engine.
        #expect(e.counterexamples.map(\.file.text) == s.counterexamples.map(\.file.text), "\(spec)")
        #expect(e.counterexamples.map(\.file.suggestedFileName) == s.counterexamples.map(\.file.suggestedFileName))
        #expect(e.counterexamples.map(\.diagram) == s.counterexamples.map(\.diagram))
        if spec.n == 4 { #expect(e.verdict == .violated && !e.violated.isEmpty) }
        if spec.protocolName == "uic" && spec.variant == "standard" && spec.n == 3 { #expect(e.verdict == .holds) }
        // The JSON and text of each name their engine and agree on the verdict.
        let ej = checkJSON(e, symmetry: false)
        let sj = checkJSON(s, symmetry: true)
        #expect(ej["engine"]?.stringValue == "explicit" && sj["engine"]?.stringValue == "symbolic")
        #expect(ej["verdict"]?.stringValue == sj["verdict"]?.stringValue)
        #expect(e.mixedCellJSON["verdict"]?.stringValue == s.mixedCellJSON["verdict"]?.stringValue)
        #expect(checkText(e).contains("verdict: \(e.verdict.rawValue)"))
        #expect(checkText(s).contains("verdict: \(s.verdict.rawValue)"))
    }
}
