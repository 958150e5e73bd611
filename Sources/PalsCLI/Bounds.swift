import ArgumentParser
import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols

struct BoundsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bounds",
        abstract: "The resilience table: for each n in a range and each t < n, does the protocol hold?",
        discussion: """
            Each cell is an exhaustive check that stops at the first faulty-set size \
            at which a property fails. With no arguments this is the main job: \
            `pals bounds uic --n 2...5`.
            """)

    @Argument(help: "Protocol: uic or floodset.")
    var protocolName = "uic"

    @Option(help: "Range of n, e.g. 2...6.")
    var n = "2...5"

    @OptionGroup var model: ModelOptions

    @Option(help: "Folder for counterexample files.")
    var out = "counterexamples"

    func run() throws {
        let range = try parseRange(n)
        guard range.lowerBound >= 1 && range.upperBound <= ProcessSet.maxProcesses else {
            throw PalsError(.invalidArgument, "n range \(n) must lie within 1…\(ProcessSet.maxProcesses)")
        }
        let faultModel = try model.faultModel()
        try Catalog.validate(ModelSpec(protocolName: protocolName, variant: model.variant, n: range.lowerBound, t: 0))
        var cells: [CheckReport] = []
        let start = ContinuousClock.now
        for nn in range {
            for tt in 0..<nn {
                let spec = ModelSpec(protocolName: protocolName, variant: model.variant, n: nn, t: tt, rounds: model.rounds)
                var options = ExplorerOptions()
                options.symmetry = model.symmetry
                options.faultModel = faultModel
                options.threads = max(1, model.threads)
                options.stopAtFirstViolation = true
                options.progress = progressReporter()
                var report = try Catalog.visit(spec, CheckVisitor(spec: spec, inputs: nil, options: options))
                for k in report.counterexamples.indices {
                    let f = report.counterexamples[k].file
                    report.counterexamples[k].path = try writeFile(dir: out, name: f.suggestedFileName, text: f.text)
                }
                if !model.json {
                    printError(
                        "n=\(nn) t=\(tt): \(report.result.verdict.rawValue) (\(fmt(report.result.seconds)) s)")
                }
                cells.append(report)
            }
        }
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let violated = cells.contains { $0.result.verdict == .violated }
        if model.json {
            let json = JSON.object([
                ("verdict", .string(violated ? "violated" : "holds")),
                ("protocol", .string(protocolName)),
                ("variant", .string(model.variant)),
                ("engine", .string("explicit")),
                ("symmetry", .bool(model.symmetry)),
                ("cells", .array(cells.map(cellJSON))),
                ("properties", .array([])),
                ("states", .int(cells.reduce(0) { $0 + $1.result.states })),
                ("seconds", .double((seconds * 1000).rounded() / 1000)),
                ("counterexample", cells.lazy.compactMap { $0.counterexamples.first?.path }.first.map { .string($0) } ?? .null),
            ])
            print(json.compact)
        } else {
            print(boundsTable(cells, protocolName: protocolName, variant: model.variant))
        }
        if violated { throw ExitCode(1) }
    }
}

func violatedNames(_ r: CheckReport) -> [String] {
    r.result.verdicts.filter { $0.status == .violated }.map(\.name)
}

func cellJSON(_ r: CheckReport) -> JSON {
    .object([
        ("n", .int(r.spec.n)),
        ("t", .int(r.spec.t)),
        ("rounds", .int(r.rounds)),
        ("verdict", .string(r.result.verdict.rawValue)),
        ("violated", .array(violatedNames(r).map { .string($0) })),
        ("states", .int(r.result.states)),
        ("seconds", .double((r.result.seconds * 1000).rounded() / 1000)),
        ("counterexample", r.counterexamples.first?.path.map { .string($0) } ?? .null),
    ])
}

func boundsTable(_ cells: [CheckReport], protocolName: String, variant: String) -> String {
    var rows: [[String]] = [["n", "t", "t < n/2", "verdict", "violated property", "states", "seconds", "counterexample"]]
    for c in cells {
        rows.append([
            String(c.spec.n), String(c.spec.t), 2 * c.spec.t < c.spec.n ? "yes" : "no",
            c.result.verdict.rawValue, violatedNames(c).first ?? "-", String(c.result.states),
            fmt(c.result.seconds), c.counterexamples.first?.path ?? "-",
        ])
    }
    var widths = Array(repeating: 0, count: rows[0].count)
    for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
    var s = "Resilience table for \(protocolName)\(variant == "standard" ? "" : "/\(variant)") (explicit engine, exhaustive over every admissible failure pattern)\n"
    for (i, row) in rows.enumerated() {
        s += row.enumerated().map { k, cell in cell.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        if i == 0 { s += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
    }
    let matches = cells.allSatisfy { ($0.result.verdict == .holds) == (2 * $0.spec.t < $0.spec.n) }
    s += matches
        ? "holds exactly when t < n/2 in every cell (the TrustedPals theorem)\n"
        : "some cells differ from \"holds iff t < n/2\"\n"
    return s
}
