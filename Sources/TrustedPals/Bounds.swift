import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols
import PalsSymbolic
import PalsZ3

/// The parameters of `pals bounds` as a value; `run()` performs it.
public struct BoundsRequest {
    /// The catalogued protocol whose table is computed (e.g. "uic").
    public var protocolName: String = UICEntry.name
    /// The range of n, as `parseRange` reads it ("2...5", "3-6", "4"); every
    /// t from 0 to n−1 is a cell.
    public var n: String = "2...5"
    /// The model options: variant, fault model, engine, timeout, threads.
    public var model: ModelParameters
    /// The folder the counterexample files are written to.
    public var out: String = "counterexamples"
    /// The path of the HTML report; nil: none.
    public var html: String?
    /// With JSON output: check only shard "I/K" of the table's cells;
    /// `MergeRequest` combines the K outputs.
    public var shard: String?
    /// Decide every property of every cell: the symbolic engine asks one
    /// query per property instead of stopping at the first violated one, and
    /// the explicit engine searches every faulty-set size instead of stopping
    /// at the first size with a violation. Off: a cell's later properties may
    /// be `unchecked` (symbolic) or `unknown` (explicit).
    public var allProperties: Bool = false

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String = UICEntry.name, n: String = "2...5", model: ModelParameters,
        out: String = "counterexamples",
        html: String? = nil, shard: String? = nil, allProperties: Bool = false
    ) {
        self.protocolName = protocolName
        self.n = n
        self.model = model
        self.out = out
        self.html = html
        self.shard = shard
        self.allProperties = allProperties
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Checks every cell (n, t) of the range with the chosen engine, writes the
    /// counterexample files and returns the table (or its JSON, or a shard of it).
    ///
    /// - Throws: `PalsError` for bad options; the result has exit status 1 when some cell is
    ///   violated, 3 when a cell is undecided or the search stopped, 4 on an
    ///   internal disagreement.
    public func perform() throws -> CommandResult {
        try checkWritable(html)
        try checkOutputFolder(out, option: "⟪out⟫", writable: false)
        let shard = try parseShardOption(self.shard, json: model.json, html: html)
        let range = try parseRange(n)
        guard range.lowerBound >= 1 && range.upperBound <= ProcessSet.maxProcesses else {
            throw PalsError(.invalidArgument, "n range \(n) must lie within 1…\(ProcessSet.maxProcesses)")
        }
        let faultModel = try model.faultModel()
        try Catalog.validate(try model.spec(protocolName, n: range.lowerBound, t: 0))
        var engines: [Engine] = []
        for nn in range { for tt in 0..<nn { engines.append(try model.engine(n: nn, t: tt)) } }
        if engines.allSatisfy({ $0 == .explicit }) {
            return try runExplicit(range, faultModel: faultModel, shard: shard)
        } else {
            return try runMixed(range, faultModel: faultModel, shard: shard)
        }
    }

    /// The `shard` object of a sharded table's JSON.
    private func shardSection(_ shard: Shard, range: ClosedRange<Int>, cells: [(CheckReport, Int)]) throws -> JSON {
        let cellCount = range.reduce(0, +)
        let run = JSON.object([
            ("protocol", .string(protocolName)), ("variant", .string(try model.variantName(protocolName))),
            ("n", .string("\(range.lowerBound)...\(range.upperBound)")),
            ("rounds", model.rounds.map { .int($0) } ?? .null),
            ("M", model.M.map { .int($0) } ?? .null), ("fuel", model.fuel.map { .int(Int($0)) } ?? .null),
            ("faults", .string(try model.faultModel().rawValue)), ("symmetry", .bool((model.symmetry == true))),
            ("engine", .string(model.engine.rawValue)), ("timeout", model.timeout.map { .double($0) } ?? .null),
            ("out", .string(out)), ("allProperties", .bool(allProperties)),
        ])
        return ShardMerge.boundsSection(
            shard, run: run, cellCount: cellCount, assigned: (0..<cellCount).filter { shard.owns($0) },
            cells: cells.map { cell, position in
                ShardMerge.BoundsCellShard(
                    position: position, exitStatus: cell.exitStatus, statuses: cell.propertyStatuses,
                    stopped: cell.stopReason != nil,
                    files: Array(mergedFiles(cell.counterexamples).values).sorted { $0.path < $1.path })
            })
    }

    /// One explicit cell, counterexample files written.
    private func explicitCell(_ spec: ModelSpec, faultModel: FaultModel) throws -> CheckReport {
        var options = ExplorerOptions()
        options.symmetry = (model.symmetry == true)
        options.canonicalStates = (model.symmetry == true)
        options.faultModel = faultModel
        options.threads = max(1, model.threads)
        options.stopAtFirstViolation = !allProperties
        options.progress = progressReporter()
        options.maxMemory = try model.memoryBudget()
        // The table's run installed the handler once: installing it again
        // would forget a Ctrl-C that came between two cells.
        options.stopOnInterrupt = true
        var report = try Catalog.visit(spec, CheckVisitor(spec: spec, inputs: nil, options: options))
        for k in report.counterexamples.indices {
            let f = report.counterexamples[k].file
            report.counterexamples[k].path = try writeFile(dir: out, name: f.suggestedFileName, text: f.text)
        }
        return report
    }

    /// Every cell with the explicit engine (the original output, unchanged).
    private func runExplicit(_ range: ClosedRange<Int>, faultModel: FaultModel, shard: Shard?) throws -> CommandResult {
        var shown = CommandResult()
        var cells: [CheckReport] = []
        var positions: [Int] = []
        var position = -1
        var stopReason: String?
        let start = ContinuousClock.now
        ResourceGuard.installInterrupt()
        cellLoop: for nn in range {
            for tt in 0..<nn {
                position += 1
                if let shard, !shard.owns(position) { continue }
                // A signal that came after the last cell's search ended.
                if ResourceGuard.interrupted {
                    stopReason = "interrupted"
                    break cellLoop
                }
                positions.append(position)
                let spec = try model.spec(protocolName, n: nn, t: tt)
                let report = try explicitCell(spec, faultModel: faultModel)
                if !model.json {
                    printError(
                        "n=\(nn) t=\(tt): \(report.verdict.rawValue) (\(fmt(report.seconds)) s)")
                }
                cells.append(report)
                if let reason = report.stopReason {
                    stopReason = reason
                    break cellLoop
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let violated = cells.contains { $0.verdict == .violated }
        if model.json {
            let json = JSON.object([
                ("verdict", .string(violated ? "violated" : stopReason != nil ? "unknown" : "holds")),
                ("protocol", .string(protocolName)),
                ("variant", .string(try model.variantName(protocolName))),
                ("engine", .string("explicit")),
                ("symmetry", .bool((model.symmetry == true))),
                ("cells", .array(cells.map(cellJSON))),
                (
                    "properties",
                    propertiesAcrossCells(
                        cells.map { c in
                            (
                                c.spec,
                                c.propertyStatuses
                            )
                        })
                ),
                ("states", .int(cells.reduce(0) { $0 + ($1.states ?? 0) })),
                ("complete", .bool(stopReason == nil)),
                ("stopReason", stopReason.map { .string($0) } ?? .null),
                ("seconds", .double((seconds * 1000).rounded() / 1000)),
                (
                    "counterexample",
                    cells.lazy.compactMap { $0.counterexamples.first?.path }.first.map { .string($0) } ?? .null
                ),
            ])
            if let shard {
                shown.line(
                    ShardMerge.attach(
                        json,
                        try shardSection(
                            shard, range: range, cells: Array(zip(cells, positions)))
                    ).compact)
            } else {
                shown.line(json.compact)
            }
        } else {
            shown.line(boundsTable(cells, protocolName: protocolName, variant: try model.variantName(protocolName)))
        }
        if let html {
            try writeHTML(
                try boundsHTML(
                    title: "pals bounds \(protocolName) — explicit engine",
                    cells: cells.map(\.reported)),
                to: html)
        }
        if let stopReason { printError(partialTableMessage(stopReason)) }
        if violated { return shown.ending(1) }
        if stopReason != nil { return shown.ending(3) }
        return shown
    }

    /// The line that says a table ended early, and why.
    private func partialTableMessage(_ reason: String) -> String {
        "error: the table is partial: the search stopped (\(reason)); the cells after it were not checked"
    }

    /// Cells with the symbolic engine (or a mix, for `--engine auto`).
    private func runMixed(_ range: ClosedRange<Int>, faultModel: FaultModel, shard: Shard?) throws -> CommandResult {
        var shown = CommandResult()
        var cells: [CheckReport] = []
        var positions: [Int] = []
        var position = -1
        var stopReason: String?
        let start = ContinuousClock.now
        // Ctrl-C, SIGTERM or the memory budget during a cell stops the cell
        // with its partial result (a symbolic cell's running query is
        // interrupted) and ends the table there.
        ResourceGuard.installInterrupt()
        let maxMemory = try model.memoryBudget()
        let progress = progressReporter()
        cellLoop: for nn in range {
            for tt in 0..<nn {
                let engine = try model.engine(n: nn, t: tt)
                position += 1
                if let shard, !shard.owns(position) { continue }
                if ResourceGuard.interrupted {
                    stopReason = "interrupted"
                    break cellLoop
                }
                positions.append(position)
                let spec = try model.spec(protocolName, n: nn, t: tt)
                let cell: CheckReport
                switch engine {
                case .explicit:
                    cell = try explicitCell(spec, faultModel: faultModel)
                case .symbolic:
                    cell = try symbolicCheckWritingFiles(
                        spec: spec, faultModel: faultModel, timeout: model.timeout, inputs: nil, out: out,
                        stopAtFirstViolation: !allProperties, maxMemory: maxMemory, progress: progress,
                        threads: max(1, model.threads))
                }
                if !model.json {
                    printError(
                        "n=\(nn) t=\(tt) [\(cell.engine.rawValue)]: \(cell.verdict.rawValue) (\(fmt(cell.seconds)) s)")
                }
                cells.append(cell)
                if let reason = cell.stopReason {
                    stopReason = reason
                    break cellLoop
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let status = ShardMerge.boundsStatus(cells: cells.map(\.exitStatus), stopped: stopReason != nil)
        let verdict = (Verdict(exitStatus: status) ?? .holds).rawValue
        if model.json {
            let symbolic = cells.compactMap(\.solved)
            let explicitStates = cells.compactMap(\.states)
            let json = JSON.object([
                ("verdict", .string(verdict)),
                ("protocol", .string(protocolName)),
                ("variant", .string(try model.variantName(protocolName))),
                ("engine", .string(model.engine.rawValue)),
                ("faults", .string(faultModel.rawValue)),
                ("symmetry", .bool((model.symmetry == true))),
                ("cells", .array(cells.map(\.mixedCellJSON))),
                ("properties", propertiesAcrossCells(cells.map { ($0.spec, $0.propertyStatuses) })),
                ("states", explicitStates.isEmpty ? .null : .int(explicitStates.reduce(0, +))),
                ("complete", .bool(stopReason == nil)),
                ("stopReason", stopReason.map { .string($0) } ?? .null),
                ("seconds", secondsJSON(seconds)),
                ("counterexample", cells.lazy.compactMap(\.counterexamplePath).first.map { .string($0) } ?? .null),
                (
                    "solver",
                    solverJSON(
                        version: Z3Context.version, timeout: model.timeout,
                        statistics: sumStatistics(symbolic.map(\.statistics)))
                ),
            ])
            if let shard {
                shown.line(
                    ShardMerge.attach(json, try shardSection(shard, range: range, cells: Array(zip(cells, positions))))
                        .compact)
            } else {
                shown.line(json.compact)
            }
        } else {
            shown.line(
                mixedBoundsTable(cells, protocolName: protocolName, variant: try model.variantName(protocolName)))
        }
        if let html {
            try writeHTML(
                try boundsHTML(
                    title: "pals bounds \(protocolName) — \(model.engine.rawValue) engine", cells: cells.map(\.reported)
                ),
                to: html)
        }
        if let stopReason { printError(partialTableMessage(stopReason)) }
        if status != 0 { return shown.ending(status) }
        return shown
    }
}

/// Which exit status wins when cells differ: internal error, then violated,
/// then unknown, then holds.
public func boundsExitRank(_ status: Int32) -> Int { ShardMerge.boundsExitRank(status) }

extension CheckReport {
    /// The check as an entry of a mixed table's JSON `cells` (solver
    /// properties and statistics for a symbolic cell).
    public var mixedCellJSON: JSON {
        var fields: [(String, JSON)] = [
            ("n", .int(spec.n)),
            ("t", .int(spec.t)),
            ("rounds", .int(rounds)),
            ("engine", .string(engine.rawValue)),
            ("verdict", .string(verdict.rawValue)),
            ("violated", .array(violated.map { .string($0) })),
            ("states", states.map { .int($0) } ?? .null),
            ("seconds", secondsJSON(seconds)),
            ("counterexample", counterexamplePath.map { .string($0) } ?? .null),
            ("stopReason", stopReason.map { .string($0) } ?? .null),
        ]
        if let r = solved {
            fields.append(
                (
                    "properties",
                    .array(
                        r.properties.map { p in
                            .object([
                                ("name", .string(p.name)),
                                ("status", .string(p.status.rawValue)),
                                ("reason", p.reason.map { .string($0) } ?? .null),
                                ("seconds", secondsJSON(p.seconds)),
                            ])
                        })
                ))
            fields.append(("statistics", statisticsJSON(r.statistics)))
        }
        return .object(fields)
    }
}

/// Per property, over the whole table: `violated` (with the cells (n, t) that
/// violate it) if some cell violates it, `holds` only if every cell decided
/// that it holds, else `unknown` (some cell stopped before deciding it).
/// Properties in the order the cells list them; witnesses are left out.
public func propertiesAcrossCells(_ cells: [(spec: ModelSpec, statuses: [(name: String, status: Verdict)])]) -> JSON {
    ShardMerge.propertiesAcrossCells(cells.map { ($0.spec.n, $0.spec.t, $0.statuses) })
}

/// "-" for none, else the names joined by commas.
public func listOrDash(_ names: [String]) -> String { names.isEmpty ? "-" : names.joined(separator: ",") }

/// The names of the properties an explicit check violated, in property order.
public func violatedNames(_ r: CheckReport) -> [String] { r.violated }

/// An explicit cell as an entry of the table's JSON `cells`.
public func cellJSON(_ r: CheckReport) -> JSON {
    .object([
        ("n", .int(r.spec.n)),
        ("t", .int(r.spec.t)),
        ("rounds", .int(r.rounds)),
        ("verdict", .string(r.verdict.rawValue)),
        ("violated", .array(r.violated.map { .string($0) })),
        ("states", .int(r.states ?? 0)),
        ("seconds", .double((r.seconds * 1000).rounded() / 1000)),
        ("counterexample", r.counterexamples.first?.path.map { .string($0) } ?? .null),
        ("stopReason", r.stopReason.map { .string($0) } ?? .null),
    ])
}

/// The resilience table of explicit cells as text: one row per (n, t), and
/// whether "holds iff t < n/2" matches every cell.
public func boundsTable(_ cells: [CheckReport], protocolName: String, variant: String) -> String {
    var rows: [[String]] = [
        ["n", "t", "t < n/2", "verdict", "violated properties", "states", "seconds", "counterexample"]
    ]
    for c in cells {
        rows.append([
            String(c.spec.n), String(c.spec.t), 2 * c.spec.t < c.spec.n ? "yes" : "no",
            c.verdict.rawValue, listOrDash(c.violated), c.states.map(String.init) ?? "-",
            fmt(c.seconds), c.counterexamples.first?.path ?? "-",
        ])
    }
    var widths = Array(repeating: 0, count: rows[0].count)
    for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
    var s =
        "Resilience table for \(protocolName)\(variant == "standard" ? "" : "/\(variant)") (explicit engine, exhaustive over every admissible failure pattern)\n"
    for (i, row) in rows.enumerated() {
        s +=
            row.enumerated().map { k, cell in cell.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        if i == 0 { s += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
    }
    let matches = cells.allSatisfy { ($0.verdict == .holds) == (2 * $0.spec.t < $0.spec.n) }
    s +=
        matches
        ? "holds exactly when t < n/2 in every cell (the TrustedPals theorem)\n"
        : "some cells differ from \"holds iff t < n/2\"\n"
    return s
}

/// The resilience table with an engine column (symbolic or mixed cells);
/// unknown cells list the undecided properties with the solver's reason.
public func mixedBoundsTable(_ cells: [CheckReport], protocolName: String, variant: String) -> String {
    var rows: [[String]] = [
        ["n", "t", "t < n/2", "engine", "verdict", "violated properties", "states", "seconds", "counterexample"]
    ]
    for c in cells {
        rows.append([
            String(c.spec.n), String(c.spec.t), 2 * c.spec.t < c.spec.n ? "yes" : "no", c.engine.rawValue,
            c.verdict.rawValue, listOrDash(c.violated), c.states.map(String.init) ?? "-", fmt(c.seconds),
            c.counterexamplePath ?? "-",
        ])
    }
    var widths = Array(repeating: 0, count: rows[0].count)
    for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
    let engines = Set(cells.map(\.engine))
    let how =
        engines == [.symbolic]
        ? "symbolic engine (Z3), verified for every admissible failure pattern"
        : engines == [.explicit]
            ? "explicit engine"
            : "explicit engine while a global state has at most 2^\(EngineChoice.autoBranchingLimit) successors per round, symbolic (Z3) beyond"
    var s = "Resilience table for \(protocolName)\(variant == "standard" ? "" : "/\(variant)") (\(how))\n"
    for (i, row) in rows.enumerated() {
        s +=
            row.enumerated().map { k, cell in cell.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        if i == 0 { s += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
    }
    for c in cells {
        for u in c.unknown { s += "n=\(c.spec.n) t=\(c.spec.t): \(u.name) undecided (\(u.reason))\n" }
    }
    if cells.contains(where: { $0.verdict != .holds && $0.verdict != .violated }) {
        s += "some cells are undecided: nothing is claimed for them\n"
    } else {
        let matches = cells.allSatisfy { ($0.verdict == .holds) == (2 * $0.spec.t < $0.spec.n) }
        s +=
            matches
            ? "holds exactly when t < n/2 in every cell (the TrustedPals theorem)\n"
            : "some cells differ from \"holds iff t < n/2\"\n"
    }
    return s
}
