import PalsCore

/// A file the merged result refers to (a counterexample), with its text.
public struct MergedFile: Sendable, Equatable {
    /// Where the unsharded run writes the file (as that run printed it).
    public var path: String
    /// The file's full contents.
    public var text: String

    /// A file to be written at `path` with contents `text`.
    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// What `ShardMerge.merge` produces: the JSON one unsharded run prints, the
/// counterexample files that run writes, and its exit status.
public struct MergedOutput: Sendable {
    /// The merged JSON document, field for field the unsharded run's (`seconds`: the shards' sum).
    public var json: JSON
    /// The counterexample files the unsharded run writes, to be written by the caller.
    public var files: [MergedFile]
    /// The unsharded run's exit status: 0 holds, 1 violated, 3 undecided (the search stopped), 4 internal
    /// disagreement between the engines.
    public var exitStatus: Int32
}

/// Sharded runs and their merge.
///
/// A run given `--shard I/K --json` prints the unsharded command's JSON for
/// its part of the work plus a `shard` object: the shard's index and count,
/// the command, the run's identity (`run`: every option that affects the
/// result) and what the merge needs beyond the printed fields (per faulty-set
/// size counts, the rank of each violation, the counterexample files' text).
/// `merge` checks that the files are the K shards of one run (same command,
/// same `run`, same K, each index once) and combines them into exactly what
/// the unsharded run prints, except `seconds`, which is the shards' sum.
public enum ShardMerge {
    // MARK: - Shard sections

    /// The `shard` object common to every command.
    static func section(_ shard: Shard, command: String, run: JSON, _ data: [(String, JSON)]) -> JSON {
        .object(
            [("index", .int(shard.index)), ("count", .int(shard.count)), ("command", .string(command)), ("run", run)]
                + data)
    }

    static func fileJSON(_ f: MergedFile?) -> JSON {
        guard let f else { return .null }
        return .object([("path", .string(f.path)), ("text", .string(f.text))])
    }

    /// `pals check --shard`: the explorer's per-size counts and, per violated
    /// property, its rank and counterexample file (`files[property]`).
    public static func checkSection(
        _ shard: Shard, run: JSON, result: ExplorationResult, sizes: Int, files: [String: MergedFile]
    ) -> JSON {
        section(
            shard, command: "check", run: run,
            [
                ("sizes", .int(sizes)),
                (
                    "properties",
                    .array(
                        result.verdicts.map {
                            .object([("name", .string($0.name)), ("kind", .string($0.kind.rawValue))])
                        })
                ),
                (
                    "levels",
                    .array(
                        result.levels.map { l in
                            .object([
                                ("size", .int(l.size)), ("faultySets", .int(l.faultySets)), ("states", .int(l.states)),
                                ("transitions", .int(l.transitions)), ("largestLayer", .int(l.largestLayer)),
                                (
                                    "witnessed",
                                    .array(zip(result.verdicts, l.witnessed).filter(\.1).map { .string($0.0.name) })
                                ),
                                ("stopReason", l.stopReason.map { .string($0) } ?? .null),
                            ])
                        })
                ),
                (
                    "violations",
                    .array(
                        result.verdicts.compactMap { v in
                            guard let violation = v.violation else { return nil }
                            return .object([
                                ("property", .string(v.name)), ("size", .int(violation.rank.size)),
                                ("length", .int(violation.rank.length)), ("position", .int(violation.rank.position)),
                                ("file", fileJSON(files[v.name])),
                            ])
                        })
                ),
            ])
    }

    /// One cell of a sharded resilience table.
    public struct BoundsCellShard: Sendable {
        /// The cell's position in the table's order (n ascending, then t).
        public var position: Int
        /// The exit status the cell alone would give: 0 holds, 1 violated, 3 undecided, 4 internal disagreement.
        public var exitStatus: Int32
        /// Per property, in the cell's property order, its name and its status word as printed (`holds`,
        /// `violated`, …).
        public var statuses: [(name: String, status: Verdict)]
        /// True when the cell's search stopped before it decided every property; the table ends at this cell.
        public var stopped: Bool
        /// The counterexample files the cell wrote (path and text).
        public var files: [MergedFile]

        /// A cell's merge data from its fields.
        public init(
            position: Int, exitStatus: Int32, statuses: [(name: String, status: Verdict)], stopped: Bool,
            files: [MergedFile]
        ) {
            self.position = position
            self.exitStatus = exitStatus
            self.statuses = statuses
            self.stopped = stopped
            self.files = files
        }
    }

    /// `pals bounds --shard`: the cells this shard was given (positions in
    /// the table's order, out of `cellCount`) and, per cell it checked (in
    /// the order of the printed `cells`), what the merge needs.
    public static func boundsSection(
        _ shard: Shard, run: JSON, cellCount: Int, assigned: [Int], cells: [BoundsCellShard]
    ) -> JSON {
        section(
            shard, command: "bounds", run: run,
            [
                ("cellCount", .int(cellCount)),
                ("assigned", .array(assigned.map { .int($0) })),
                (
                    "cells",
                    .array(
                        cells.map { c in
                            .object([
                                ("position", .int(c.position)), ("exit", .int(Int(c.exitStatus))),
                                (
                                    "statuses",
                                    .array(
                                        c.statuses.map {
                                            .object([
                                                ("name", .string($0.name)), ("status", .string($0.status.rawValue)),
                                            ])
                                        })
                                ),
                                ("stopped", .bool(c.stopped)),
                                ("files", .array(c.files.map { fileJSON($0) })),
                            ])
                        })
                ),
            ])
    }

    /// `pals fairness --shard`: this shard's maximum, the position (in the
    /// unsharded order of faulty sets) of the first faulty set attaining it,
    /// and the counterexample file.
    public static func fairnessSection(
        _ shard: Shard, run: JSON, best: Int, position: Int?, file: MergedFile?
    ) -> JSON {
        section(
            shard, command: "fairness", run: run,
            [("best", .int(best)), ("position", position.map { .int($0) } ?? .null), ("file", fileJSON(file))])
    }

    // MARK: - Merging

    /// One parsed shard output.
    struct Part {
        var name: String
        var json: JSON
        var shard: JSON
        var index: Int
        var count: Int
        var command: String
        var run: JSON

        func field(_ key: String) throws(PalsError) -> JSON {
            guard let v = shard[key] else { throw malformed(name, "its shard object has no \"\(key)\"") }
            return v
        }
        func int(_ key: String) throws(PalsError) -> Int {
            guard let v = try field(key).intValue else { throw malformed(name, "\"\(key)\" is not an integer") }
            return v
        }
        func array(_ key: String) throws(PalsError) -> [JSON] {
            guard let v = try field(key).arrayValue else { throw malformed(name, "\"\(key)\" is not an array") }
            return v
        }
        func top(_ key: String) throws(PalsError) -> JSON {
            guard let v = json[key] else { throw malformed(name, "it has no \"\(key)\"") }
            return v
        }
    }

    /// `a + b` for counts read from a shard's output (`b` from the file
    /// `name`): a negative count is a malformed file and a sum beyond
    /// `Int.max` a set of files that are not one run's, never an overflow trap.
    static func add(_ a: Int, _ b: Int, in name: String) throws(PalsError) -> Int {
        guard b >= 0 else { throw malformed(name, "a count is negative (\(b))") }
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else {
            throw PalsError(
                .invalidArgument, "the shards' counts add up beyond \(Int.max) with \(name): not the outputs of one run"
            )
        }
        return sum
    }

    static func malformed(_ name: String, _ what: String) -> PalsError {
        PalsError(.invalidArgument, "\(name) is not a shard output of pals (--shard I/K --json): \(what)")
    }

    /// Merges the `--json` outputs of the K shards of one run, given as
    /// (file name, text). Throws `invalidArgument` naming the mismatch when
    /// they are not exactly the K shards of one run.
    public static func merge(_ documents: [(name: String, text: String)]) throws(PalsError) -> MergedOutput {
        guard !documents.isEmpty else { throw PalsError(.invalidArgument, "pals merge needs the shards' output files") }
        var parts: [Part] = []
        for d in documents {
            let json: JSON
            do {
                json = try JSON.parse(d.text.trimmingSpace)
            } catch {
                throw malformed(d.name, "not one JSON object (\(error.message))")
            }
            guard case .object = json else { throw malformed(d.name, "not a JSON object") }
            guard let shard = json["shard"], case .object = shard else {
                throw malformed(d.name, "it has no \"shard\" object (was it run with --shard?)")
            }
            guard let index = shard["index"]?.intValue, let count = shard["count"]?.intValue,
                let command = shard["command"]?.stringValue, let run = shard["run"], case .object = run
            else { throw malformed(d.name, "its shard object lacks index, count, command or run") }
            parts.append(
                Part(name: d.name, json: json, shard: shard, index: index, count: count, command: command, run: run))
        }
        let first = parts[0]
        for p in parts.dropFirst() {
            if p.command != first.command {
                throw PalsError(
                    .invalidArgument,
                    "\(first.name) and \(p.name) are shards of different commands (\(first.command) vs \(p.command))")
            }
            if p.count != first.count {
                throw PalsError(
                    .invalidArgument,
                    "\(first.name) and \(p.name) split the work differently: shard \(first.index)/\(first.count) vs \(p.index)/\(p.count)"
                )
            }
            if p.run != first.run {
                throw PalsError(
                    .invalidArgument,
                    "\(first.name) and \(p.name) are shards of different runs: \(difference(first.run, p.run))")
            }
        }
        for p in parts where p.index < 1 || p.index > p.count {
            throw malformed(p.name, "shard index \(p.index) is outside 1…\(p.count)")
        }
        var byIndex: [Int: String] = [:]
        for p in parts {
            if let other = byIndex[p.index] {
                throw PalsError(.invalidArgument, "shard \(p.index)/\(p.count) is given twice: \(other) and \(p.name)")
            }
            byIndex[p.index] = p.name
        }
        let missing = (1...first.count).filter { byIndex[$0] == nil }
        if !missing.isEmpty {
            throw PalsError(
                .invalidArgument,
                "incomplete set of shards: \(missing.count == 1 ? "shard" : "shards") \(missing.map(String.init).joined(separator: ", ")) of \(first.count) \(missing.count == 1 ? "is" : "are") missing"
            )
        }
        parts.sort { $0.index < $1.index }
        switch first.command {
        case "check": return try mergeCheck(parts)
        case "bounds": return try mergeBounds(parts)
        case "fairness": return try mergeFairness(parts)
        case "campaign": return try mergeCampaign(parts)
        default: throw malformed(first.name, "unknown command \"\(first.command)\"")
        }
    }

    /// The first field in which two run identities differ, in words.
    static func difference(_ a: JSON, _ b: JSON) -> String {
        guard case .object(let fa) = a, case .object(let fb) = b else { return "their options differ" }
        for (key, va) in fa {
            let vb = fb.first { $0.0 == key }?.1
            if vb != va { return "\(key) is \(va.compact) vs \(vb?.compact ?? "absent")" }
        }
        for (key, vb) in fb where !fa.contains(where: { $0.0 == key }) {
            return "\(key) is absent vs \(vb.compact)"
        }
        return "their options differ"
    }

    static func replacing(_ json: JSON, _ updates: [(String, JSON)]) -> JSON {
        guard case .object(var fields) = json else { return json }
        fields.removeAll { $0.0 == "shard" }
        for (key, value) in updates {
            if let k = fields.firstIndex(where: { $0.0 == key }) { fields[k].1 = value }
        }
        return .object(fields)
    }

    static func seconds(_ parts: [Part]) -> JSON {
        var total = 0.0
        for p in parts {
            switch p.json["seconds"] {
            case .double(let d)?: total += d
            case .int(let i)?: total += Double(i)
            default: break
            }
        }
        return .double((total * 1000).rounded() / 1000)
    }

    static func file(_ json: JSON?, in name: String) throws(PalsError) -> MergedFile? {
        guard let json, json != .null else { return nil }
        guard let path = json["path"]?.stringValue, let text = json["text"]?.stringValue else {
            throw malformed(name, "a file entry lacks path or text")
        }
        return MergedFile(path: path, text: text)
    }

    // MARK: check

    static func mergeCheck(_ parts: [Part]) throws(PalsError) -> MergedOutput {
        let first = parts[0]
        let sizes = try first.int("sizes")
        let stopAtFirst = first.run["first"]?.boolValue ?? false
        let properties: [(name: String, kind: String)] = try first.array("properties").map { p throws(PalsError) in
            guard let name = p["name"]?.stringValue, let kind = p["kind"]?.stringValue else {
                throw malformed(first.name, "a property lacks name or kind")
            }
            return (name, kind)
        }
        struct Level {
            var faultySets: Int, states: Int, transitions: Int, largestLayer: Int
            var witnessed: [String]
            var stopReason: String?
        }
        struct Candidate {
            var rank: ViolationRank
            var file: MergedFile?
        }
        var levels: [[Int: Level]] = []
        var candidates: [[String: Candidate]] = []
        for p in parts {
            var mine: [Int: Level] = [:]
            for l in try p.array("levels") {
                guard let size = l["size"]?.intValue, let sets = l["faultySets"]?.intValue,
                    let states = l["states"]?.intValue, let transitions = l["transitions"]?.intValue,
                    let largest = l["largestLayer"]?.intValue, let witnessed = l["witnessed"]?.arrayValue
                else { throw malformed(p.name, "a level lacks its counts") }
                mine[size] = Level(
                    faultySets: sets, states: states, transitions: transitions, largestLayer: largest,
                    witnessed: witnessed.compactMap(\.stringValue), stopReason: l["stopReason"]?.stringValue)
            }
            levels.append(mine)
            var found: [String: Candidate] = [:]
            for v in try p.array("violations") {
                guard let name = v["property"]?.stringValue, let size = v["size"]?.intValue,
                    let length = v["length"]?.intValue, let position = v["position"]?.intValue
                else { throw malformed(p.name, "a violation lacks its rank") }
                found[name] = Candidate(
                    rank: ViolationRank(size: size, length: length, position: position),
                    file: try file(v["file"], in: p.name))
            }
            candidates.append(found)
        }
        // Replay the unsharded loop over sizes: stop at a size where some
        // shard stopped, or (with --first) after the first size with a
        // violation.
        var limit = sizes - 1
        var complete = true
        var stopReason: String?
        for k in 0..<sizes {
            if let reason = levels.lazy.compactMap({ $0[k]?.stopReason }).first {
                limit = k
                complete = false
                stopReason = reason
                break
            }
            for (i, p) in parts.enumerated() where levels[i][k] == nil {
                throw malformed(p.name, "it has no result for the faulty sets of size \(k)")
            }
            let violated = candidates.contains { $0.values.contains { $0.rank.size == k } }
            if stopAtFirst && violated {
                limit = k
                complete = k == sizes - 1
                break
            }
        }
        var states = 0
        var transitions = 0
        var largest = 0
        var faultySets = 0
        for (mine, p) in zip(levels, parts) {
            for (k, l) in mine where k <= limit {
                states = try add(states, l.states, in: p.name)
                transitions = try add(transitions, l.transitions, in: p.name)
                largest = max(largest, l.largestLayer)
                faultySets = try add(faultySets, l.faultySets, in: p.name)
            }
        }
        var propertyJSON: [JSON] = []
        var files: [MergedFile] = []
        var firstPath: String?
        var failed: [String] = []
        var anyViolated = false
        var anyUnknown = false
        for (name, kind) in properties {
            var status: Verdict
            var chosen: Candidate?
            if kind == "sometimes" {
                let witnessed = levels.contains { mine in
                    mine.contains { $0.key <= limit && $0.value.witnessed.contains(name) }
                }
                status = witnessed ? .witnessed : complete ? .notWitnessed : .unknown
            } else {
                for c in candidates {
                    guard let cand = c[name], cand.rank.size <= limit else { continue }
                    if chosen.map({ cand.rank < $0.rank }) ?? true { chosen = cand }
                }
                status = chosen != nil ? .violated : complete ? .holds : .unknown
            }
            // A violated FDefined is printed as "F failed" (the function, not the protocol).
            var word = status.rawValue
            if status == .violated {
                anyViolated = true
                failed.append(name)
                if name == "FDefined" { word = "F failed" }
            }
            if status == .unknown { anyUnknown = true }
            let path = chosen?.file?.path
            if let f = chosen?.file { files.append(f) }
            if firstPath == nil, let path { firstPath = path }
            propertyJSON.append(
                .object([
                    ("name", .string(name)), ("kind", .string(kind)), ("status", .string(word)),
                    ("counterexample", path.map { .string($0) } ?? .null),
                ]))
        }
        let verdict = failed == ["FDefined"] ? "F failed" : anyViolated ? "violated" : anyUnknown ? "unknown" : "holds"
        let json = replacing(
            first.json,
            [
                ("verdict", .string(verdict)),
                ("properties", .array(propertyJSON)),
                ("states", .int(states)),
                ("transitions", .int(transitions)),
                ("largestLayer", .int(largest)),
                ("faultySets", .int(faultySets)),
                ("complete", .bool(complete)),
                ("stopReason", stopReason.map { .string($0) } ?? .null),
                ("seconds", seconds(parts)),
                ("counterexample", firstPath.map { .string($0) } ?? .null),
            ])
        return MergedOutput(json: json, files: files, exitStatus: anyViolated ? 1 : stopReason != nil ? 3 : 0)
    }

    // MARK: bounds

    /// Which exit status wins when cells differ: internal error, then
    /// violated, then unknown, then holds.
    public static func boundsExitRank(_ status: Int32) -> Int {
        switch status {
        case 4: return 3
        case 1: return 2
        case 3: return 1
        default: return 0
        }
    }

    /// A mixed table's exit status: its cells' worst (`boundsExitRank`), and
    /// at least 3 (undecided) when the table stopped before its last cell.
    public static func boundsStatus(cells: [Int32], stopped: Bool) -> Int32 {
        let worst = cells.max { boundsExitRank($0) < boundsExitRank($1) } ?? 0
        return stopped && boundsExitRank(worst) < boundsExitRank(3) ? 3 : worst
    }

    /// Per property, over a whole table: `violated` (with the cells (n, t)
    /// that violate it) if some cell violates it, `holds` only if every cell
    /// decided that it holds, else `unknown`. Properties in the order the
    /// cells list them; witnesses are left out by the caller.
    public static func propertiesAcrossCells(_ cells: [(n: Int, t: Int, statuses: [(name: String, status: Verdict)])])
        -> JSON
    {
        var order: [String] = []
        for c in cells { for p in c.statuses where !order.contains(p.name) { order.append(p.name) } }
        return .array(
            order.map { name in
                let statuses = cells.map { c in c.statuses.first { $0.name == name }?.status }
                let violatedIn = cells.filter { c in c.statuses.contains { $0.name == name && $0.status == .violated } }
                let status: Verdict =
                    !violatedIn.isEmpty ? .violated : statuses.allSatisfy({ $0 == .holds }) ? .holds : .unknown
                return .object([
                    ("name", .string(name)),
                    ("status", .string(status.rawValue)),
                    ("violatedIn", .array(violatedIn.map { .object([("n", .int($0.n)), ("t", .int($0.t))]) })),
                ])
            })
    }

    static func mergeBounds(_ parts: [Part]) throws(PalsError) -> MergedOutput {
        let first = parts[0]
        let cellCount = try first.int("cellCount")
        struct Cell {
            var position: Int
            var json: JSON
            var exit: Int32
            var statuses: [(name: String, status: Verdict)]
            var stopped: Bool
            var files: [MergedFile]
        }
        var cells: [Cell] = []
        var assignedAll: Set<Int> = []
        // Where each stopped shard's part of the table ends: the cells before
        // `limit` are all it could have checked; a table that one run prints
        // ends at the earliest such limit.
        var stops: [(limit: Int, atCell: Bool, reason: String)] = []
        for p in parts {
            let assigned = try p.array("assigned").compactMap(\.intValue)
            if try p.int("cellCount") != cellCount {
                throw malformed(p.name, "its table has \(try p.int("cellCount")) cells, not \(cellCount)")
            }
            for a in assigned
            where a < 0 || a >= cellCount || a % p.count != p.index - 1 || !assignedAll.insert(a).inserted {
                throw malformed(p.name, "cell \(a) is not one of shard \(p.index)/\(p.count)'s")
            }
            guard case .array(let printed)? = p.json["cells"] else { throw malformed(p.name, "it has no cells") }
            let meta = try p.array("cells")
            guard printed.count == meta.count, meta.count <= assigned.count else {
                throw malformed(p.name, "its cells and its shard object disagree")
            }
            for (k, m) in meta.enumerated() {
                guard let position = m["position"]?.intValue, position == assigned[k], let exit = m["exit"]?.intValue,
                    let statuses = m["statuses"]?.arrayValue, let stopped = m["stopped"]?.boolValue,
                    let fileList = m["files"]?.arrayValue
                else { throw malformed(p.name, "cell \(k) of its shard object is incomplete") }
                var files: [MergedFile] = []
                for f in fileList { if let file = try file(f, in: p.name) { files.append(file) } }
                cells.append(
                    Cell(
                        position: position, json: printed[k], exit: Int32(exit),
                        statuses: try statuses.map { s throws(PalsError) in
                            guard let n = s["name"]?.stringValue, let word = s["status"]?.stringValue,
                                let st = Verdict(rawValue: word)
                            else { throw malformed(p.name, "cell \(k) has a property status that is no verdict") }
                            return (n, st)
                        }, stopped: stopped, files: files))
            }
            let reason: String?
            switch try p.top("stopReason") {
            case .null: reason = nil
            case .string(let r): reason = r
            default: throw malformed(p.name, "its \"stopReason\" is not a string")
            }
            let partCells = cells.suffix(meta.count)
            if let k = partCells.firstIndex(where: \.stopped), k != partCells.indices.last {
                throw malformed(p.name, "it went on after a cell whose search stopped")
            }
            if let last = partCells.last, last.stopped {
                guard let reason else { throw malformed(p.name, "a cell stopped but the table has no stop reason") }
                stops.append((last.position + 1, true, reason))
            } else if meta.count < assigned.count {
                guard let reason else {
                    throw malformed(
                        p.name, "it checked \(meta.count) of its \(assigned.count) cells without saying why it stopped")
                }
                stops.append((assigned[meta.count], false, reason))
            } else if reason != nil {
                throw malformed(p.name, "it checked every cell it was given but says it stopped")
            }
            if (try p.top("complete")).boolValue != (reason == nil) {
                throw malformed(p.name, "its \"complete\" contradicts its \"stopReason\"")
            }
        }
        if assignedAll.count != cellCount {
            throw PalsError(.invalidArgument, "the shards cover \(assignedAll.count) of the table's \(cellCount) cells")
        }
        cells.sort { $0.position < $1.position }
        // The unsharded table ends at the earliest stop: after a cell whose
        // search stopped, or before a cell it never started. At the same
        // limit, the stopped cell is what the unsharded run met first.
        let stop = stops.min { a, b in a.limit != b.limit ? a.limit < b.limit : a.atCell && !b.atCell }
        if let stop { cells.removeAll { $0.position >= stop.limit } }
        for (k, c) in cells.enumerated() where c.position != k {
            throw PalsError(.invalidArgument, "cell \(k) of the table is in no shard's output")
        }
        let mixed = first.json["solver"] != nil
        let stopped = stop != nil
        let status: Int32
        let verdict: String
        if mixed {
            status = boundsStatus(cells: cells.map(\.exit), stopped: stopped)
            verdict = (Verdict(exitStatus: status) ?? .holds).rawValue
        } else {
            let violated = cells.contains { $0.json["verdict"]?.stringValue == "violated" }
            status = violated ? 1 : stopped ? 3 : 0
            verdict = violated ? "violated" : stopped ? "unknown" : "holds"
        }
        let states = cells.compactMap { $0.json["states"]?.intValue }
        var totalStates = 0
        for s in states { totalStates = try add(totalStates, s, in: first.name) }
        let across = propertiesAcrossCells(
            cells.map { c in (c.json["n"]?.intValue ?? 0, c.json["t"]?.intValue ?? 0, c.statuses) })
        var updates: [(String, JSON)] = [
            ("verdict", .string(verdict)),
            ("cells", .array(cells.map(\.json))),
            ("properties", across),
            ("states", mixed && states.isEmpty ? .null : .int(totalStates)),
            ("complete", .bool(!stopped)),
            ("stopReason", stop.map { .string($0.reason) } ?? .null),
            ("seconds", seconds(parts)),
            (
                "counterexample",
                cells.lazy.compactMap { $0.json["counterexample"]?.stringValue }.first.map { .string($0) } ?? .null
            ),
        ]
        if mixed, case .object(var solver)? = first.json["solver"] {
            var totals: [(String, Double)] = []
            for c in cells {
                guard case .object(let stats)? = c.json["statistics"] else { continue }
                for (key, value) in stats {
                    let v: Double
                    switch value {
                    case .int(let i): v = Double(i)
                    case .double(let d): v = d
                    default: continue
                    }
                    if let i = totals.firstIndex(where: { $0.0 == key }) {
                        totals[i].1 = key.contains("memory") ? max(totals[i].1, v) : totals[i].1 + v
                    } else {
                        totals.append((key, v))
                    }
                }
            }
            let statistics = JSON.object(
                totals.map { ($0.0, $0.1.rounded() == $0.1 && abs($0.1) < 1e15 ? .int(Int($0.1)) : .double($0.1)) })
            if let k = solver.firstIndex(where: { $0.0 == "statistics" }) { solver[k].1 = statistics }
            updates.append(("solver", .object(solver)))
        }
        return MergedOutput(json: replacing(first.json, updates), files: cells.flatMap(\.files), exitStatus: status)
    }

    // MARK: fairness

    static func mergeFairness(_ parts: [Part]) throws(PalsError) -> MergedOutput {
        // A stopped shard's best is only a lower bound: no merge of it is the
        // unsharded run's answer.
        for p in parts {
            switch try p.top("stopReason") {
            case .null: continue
            case .string(let reason):
                throw PalsError(
                    .invalidArgument,
                    "\(p.name) stopped before its last faulty set (\(reason)): its probability is only a lower bound; run shard \(p.index)/\(p.count) again"
                )
            default: throw malformed(p.name, "its \"stopReason\" is not a string")
            }
        }
        var winner = parts[0]
        var best = try winner.int("best")
        var position = winner.shard["position"]?.intValue
        for p in parts.dropFirst() {
            let b = try p.int("best")
            let pos = p.shard["position"]?.intValue
            if b > best || (b == best && b > 0 && (pos ?? .max) < (position ?? .max)) {
                winner = p
                best = b
                position = pos
            }
        }
        var states = 0
        var transitions = 0
        for p in parts {
            guard let s = try p.top("states").intValue, let t = try p.top("transitions").intValue else {
                throw malformed(p.name, "states and transitions are not integers")
            }
            states = try add(states, s, in: p.name)
            transitions = try add(transitions, t, in: p.name)
        }
        let files = try file(winner.shard["file"], in: winner.name).map { [$0] } ?? []
        let json = replacing(
            winner.json, [("states", .int(states)), ("transitions", .int(transitions)), ("seconds", seconds(parts))])
        return MergedOutput(json: json, files: files, exitStatus: 0)
    }
}

extension String {
    var trimmingSpace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}

extension ShardMerge {
    /// A command's JSON output with its `shard` object appended.
    public static func attach(_ json: JSON, _ section: JSON) -> JSON {
        guard case .object(var fields) = json else { return json }
        fields.append(("shard", section))
        return .object(fields)
    }
}
