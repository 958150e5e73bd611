import PalsCore
import PalsProtocols

/// One position of the interactive explorer: a catalogued model, its inputs,
/// the failure pattern chosen so far, and how many rounds have been taken.
///
/// The explorer is stateless: a position is all there is, it travels in the
/// page's URL (`query`), and every view is recomputed from it by `simulate`.
public struct ExplorerPosition: Sendable, Equatable {
    /// The catalogued model: protocol, variant, n, t, and an optional rounds override.
    public var spec: ModelSpec
    /// The input of each process, p0…p(n-1).
    public var inputs: [Int]
    /// The failure pattern chosen so far.
    public var pattern: FailurePattern
    /// Rounds taken, 0 … R.
    public var round: Int
    /// The failure model the pattern must be admissible in.
    public var faultModel: FaultModel

    /// A position; by default the pattern must be admissible under general omission.
    public init(
        spec: ModelSpec, inputs: [Int], pattern: FailurePattern, round: Int, faultModel: FaultModel = .generalOmission
    ) {
        self.spec = spec
        self.inputs = inputs
        self.pattern = pattern
        self.round = round
        self.faultModel = faultModel
    }

    /// The position as URL query parameters, in a fixed order:
    /// `p`, `v`, `n`, `t`, `r` (rounds override), `in`, `f` (faulty),
    /// `c` (crashes `P@R`), `d` (dropped links `R:FROM>TO`), `k` (rounds taken),
    /// `fm` (fault model).
    public var query: [(String, String)] {
        var q: [(String, String)] = [
            ("p", spec.protocolName), ("v", spec.variant), ("n", String(spec.n)), ("t", String(spec.t)),
        ]
        if let r = spec.rounds { q.append(("r", String(r))) }
        q.append(("in", inputs.map(String.init).joined(separator: ",")))
        q.append(("f", pattern.faulty.map(String.init).joined(separator: ",")))
        q.append(("c", pattern.crashes.map { "\($0.process)@\($0.round)" }.joined(separator: ",")))
        q.append(("d", pattern.drops.map { "\($0.round):\($0.from)>\($0.to)" }.joined(separator: ",")))
        q.append(("k", String(round)))
        if faultModel != .generalOmission { q.append(("fm", faultModel.rawValue)) }
        return q
    }

    /// Reads a position from query parameters (the inverse of `query`);
    /// every malformed or out-of-range field is an error that names it.
    public init(query: [(String, String)]) throws(PalsError) {
        func get(_ key: String) -> String? { query.last { $0.0 == key }?.1 }
        func int(_ key: String, _ what: String) throws(PalsError) -> Int {
            guard let s = get(key), let v = Int(s) else {
                throw PalsError(.invalidArgument, "\(what) must be an integer")
            }
            return v
        }
        func ints(_ s: String, _ what: String) throws(PalsError) -> [Int] {
            var out: [Int] = []
            for part in s.split(separator: ",", omittingEmptySubsequences: true) {
                guard let v = Int(part) else {
                    throw PalsError(.invalidArgument, "\(what): \"\(part)\" is not an integer")
                }
                out.append(v)
            }
            return out
        }
        guard let name = get("p"), !name.isEmpty else { throw PalsError(.invalidArgument, "choose a protocol") }
        let n = try int("n", "n")
        let t = try int("t", "t")
        let rounds = get("r").flatMap { $0.isEmpty ? nil : $0 }.map { Int($0) }
        if let r = rounds, r == nil { throw PalsError(.invalidArgument, "rounds must be an integer") }
        let spec = Catalog.resolved(
            ModelSpec(
                protocolName: name, variant: get("v").flatMap { $0.isEmpty ? nil : $0 } ?? "standard", n: n, t: t,
                rounds: rounds ?? nil))
        try Catalog.validate(spec)
        let given = try ints(get("in") ?? "", "inputs")
        let inputs = given.isEmpty ? Catalog.defaultInputs(spec) : given
        guard inputs.count == n else {
            throw PalsError(.invalidArgument, "inputs: \(inputs.count) values for n = \(n)")
        }
        let faulty = try ints(get("f") ?? "", "faulty")
        for p in faulty where p < 0 || p >= n {
            throw PalsError(.invalidArgument, "faulty: p\(p) does not exist (n = \(n))")
        }
        var crashes: [Crash] = []
        for item in (get("c") ?? "").split(separator: ",") {
            let parts = item.split(separator: "@")
            guard parts.count == 2, let p = Int(parts[0]), let r = Int(parts[1]) else {
                throw PalsError(.invalidArgument, "crash \"\(item)\": write PROCESS@ROUND")
            }
            crashes.append(Crash(process: p, round: r))
        }
        var drops: [Link] = []
        for item in (get("d") ?? "").split(separator: ",") {
            let parts = item.split(separator: ":")
            let ends = parts.count == 2 ? parts[1].split(separator: ">") : []
            guard parts.count == 2, ends.count == 2, let r = Int(parts[0]), let a = Int(ends[0]), let b = Int(ends[1])
            else {
                throw PalsError(.invalidArgument, "dropped link \"\(item)\": write ROUND:FROM>TO")
            }
            drops.append(Link(round: r, from: a, to: b))
        }
        let model: FaultModel
        if let fm = get("fm"), !fm.isEmpty {
            guard let m = FaultModel(rawValue: fm) else {
                throw PalsError(.invalidArgument, "unknown fault model \"\(fm)\"")
            }
            model = m
        } else {
            model = .generalOmission
        }
        self.init(
            spec: spec, inputs: inputs,
            pattern: FailurePattern(faulty: ProcessSet(faulty), crashes: crashes.sorted(), drops: drops.sorted()),
            round: try int("k", "the round"), faultModel: model)
    }
}

/// Why a message of the next round can or cannot be dropped.
public struct LinkChoice: Sendable, Equatable {
    /// The sender of the message.
    public var from: Int
    /// The receiver of the message.
    public var to: Int
    /// Dropped in the position's pattern.
    public var dropped: Bool
    /// Nil when the user may toggle it; otherwise why not.
    public var locked: String?
}

/// What the explorer shows at a position.
public struct ExplorerView: Sendable {
    /// One process at the position.
    public struct ProcessView: Sendable {
        /// The process id.
        public var id: Int
        /// True if the process is in the faulty set.
        public var faulty: Bool
        /// True if the process has crashed by this round (or, after the last round, before its result).
        public var crashed: Bool
        /// The process's input.
        public var input: Int
        /// The protocol's fields (ITF), rendered as text; `changed` marks those
        /// that differ from the previous round's.
        public var fields: [(name: String, value: String, changed: Bool)]
        /// The decision as a vector, ⊥ for an unknown entry; nil before the last round, or when the process did not
        /// decide or crashed.
        public var decision: String?
    }

    /// One property at the position.
    public struct PropertyView: Sendable {
        /// The property's name.
        public var name: String
        /// Whether it must hold always, at the horizon, or in some run.
        public var kind: PropertyKind
        /// The property's definition, as the catalogue states it.
        public var definition: String
        /// `holds`, `violated`, `pending`, `witnessed`, `not witnessed`.
        public var status: String
        /// Why the status is what it is (the round it fails after, what is still pending).
        public var detail: String
    }

    /// The position shown, with its model resolved from the catalogue.
    public var position: ExplorerPosition
    /// The number of rounds R of the instance.
    public var rounds: Int
    /// Every process, p0…p(n-1).
    public var processes: [ProcessView]
    /// Every property of the model, in the catalogue's order.
    public var properties: [PropertyView]
    /// The diagram of the rounds taken so far.
    public var svg: String
    /// The diagram's legend, as HTML.
    public var legend: String
    /// The messages of round `round + 1` between distinct processes (empty
    /// after the last round).
    public var next: [LinkChoice]
}

/// Computes explorer views: the only logic of the web explorer.
public enum ExplorerModel {
    /// The catalogue as the page's menus show it.
    public static var catalogue: JSON {
        .array(
            Catalog.entries.map { e in
                .object([
                    ("name", .string(e.name)), ("summary", .string(e.summary)),
                    ("variants", .array(e.variants.map { .string($0) })),
                ])
            })
    }

    /// The view of `position`; an inadmissible pattern is an error that says
    /// which choice breaks the model.
    public static func view(_ position: ExplorerPosition) throws -> ExplorerView {
        var position = position
        position.spec = Catalog.resolved(position.spec)
        try Catalog.validate(position.spec)
        try Catalog.checkInputs(position.spec, position.inputs)
        return try Catalog.visit(position.spec, ViewVisitor(position: position))
    }

    struct ViewVisitor: ConcreteModelVisitor {
        typealias Result = ExplorerView
        var position: ExplorerPosition

        func visit<P: RoundProtocol & Sendable>(
            _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
        ) throws -> ExplorerView where P.L == Concrete, P.State: Hashable {
            let rounds = proto.rounds
            let k = position.round
            guard k >= 0 && k <= rounds else {
                throw PalsError(.invalidArgument, "round \(k) is outside 0…\(rounds)")
            }
            try position.pattern.validate(n: proto.n, t: proto.t, rounds: rounds, model: position.faultModel)
            let trace = try simulate(
                proto, inputs: position.inputs, pattern: position.pattern, model: position.faultModel)
            let fields: [[[(name: String, value: ITFValue)]]]
            if let d = proto as? any ITFDescribable {
                fields = try itf(d, position: position)
            } else {
                fields = trace.states.map { row in row.map { [("note", ITFValue.string(describe($0)))] } }
            }
            var processes: [ExplorerView.ProcessView] = []
            for i in 0..<proto.n {
                let crashed = trace.crashed[k].contains(i) || (k == rounds && trace.crashed[rounds + 1].contains(i))
                let now = fields[k][i]
                let before = k > 0 ? fields[k - 1][i] : now
                var decision: String?
                if k == rounds, trace.decisions[i].decided, !trace.crashed[rounds + 1].contains(i) {
                    decision =
                        "["
                        + trace.decisions[i].value.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }
                        .joined(separator: ",") + "]"
                }
                processes.append(
                    ExplorerView.ProcessView(
                        id: i, faulty: position.pattern.faulty.contains(i), crashed: crashed, input: position.inputs[i],
                        fields: now.enumerated().map { j, f in
                            (f.name, render(f.value), j < before.count && before[j].value != f.value)
                        },
                        decision: decision))
            }
            let props = properties.map { p in status(p, proto: proto, trace: trace, round: k) }
            // The diagram shows the rounds taken; later rounds are not drawn.
            var run = SpaceTimeRun(trace, describe: describe)
            run.rounds = k
            run.delivered = Array(run.delivered.prefix(k))
            run.silent = Array(run.silent.prefix(k))
            run.crashRound = run.crashRound.map { c in c.flatMap { $0 <= k || k == rounds ? $0 : nil } }
            if k < rounds { run.decisions = Array(repeating: "…", count: proto.n) }
            return ExplorerView(
                position: position, rounds: rounds, processes: processes, properties: props,
                svg: SpaceTimeSVG.render(run), legend: SpaceTimeSVG.legendHTML(run),
                next: k < rounds ? choices(n: proto.n, t: proto.t, round: k + 1, trace: trace) : [])
        }

        private func itf<Q: ITFDescribable>(_ q: Q, position: ExplorerPosition) throws -> [[[(
            name: String, value: ITFValue
        )]]] {
            let trace = try simulate(q, inputs: position.inputs, pattern: position.pattern, model: position.faultModel)
            return trace.states.map { row in row.map { q.itfFields($0) } }
        }

        /// The next round's links: who may be dropped, and why not.
        private func choices<P: RoundProtocol>(n: Int, t: Int, round r: Int, trace: Trace<P>) -> [LinkChoice] {
            let pattern = position.pattern
            var out: [LinkChoice] = []
            for i in 0..<n {
                for j in 0..<n where j != i {
                    let dropped = pattern.drops.contains(Link(round: r, from: i, to: j))
                    var locked: String?
                    if let c = pattern.crashRound(of: i), c <= r {
                        locked = "p\(i) has crashed: it sends nothing"
                    } else if let c = pattern.crashRound(of: j), c <= r {
                        locked = "p\(j) has crashed: it receives nothing"
                    } else if position.faultModel == .crash {
                        locked = "crash failures only: a message is lost only by a crash"
                    } else if !pattern.faulty.contains(i) && !pattern.faulty.contains(j) {
                        locked =
                            "p\(i) and p\(j) are both correct: general omission loses a message only when its sender or receiver is faulty"
                            + (pattern.faulty.count < t
                                ? " (mark one of them faulty first)"
                                : " (and the faulty set already has t = \(t) processes)")
                    }
                    out.append(LinkChoice(from: i, to: j, dropped: dropped, locked: locked))
                }
            }
            return out
        }

        private func status<P: RoundProtocol>(
            _ p: Property<P>, proto: P, trace: Trace<P>, round k: Int
        ) -> ExplorerView.PropertyView where P.L == Concrete {
            let rounds = trace.rounds
            var status: String
            var detail: String
            switch p.kind {
            case .always:
                if let r = (0...k).first(where: { !p.holds(proto, trace.context(round: $0)) }) {
                    status = "violated"
                    detail = "fails after round \(r)"
                } else {
                    status = "holds"
                    detail = k == rounds ? "in every state of this run" : "so far (rounds 0…\(k))"
                }
            case .atHorizon:
                if k < rounds {
                    status = "pending"
                    detail = "checked after round \(rounds)"
                } else if p.holds(proto, trace.context(round: rounds)) {
                    status = "holds"
                    detail = "after round \(rounds)"
                } else {
                    status = "violated"
                    detail = "after round \(rounds)"
                }
            case .sometimes:
                if k < rounds {
                    status = "pending"
                    detail = "a witness is looked for after round \(rounds)"
                } else if p.holds(proto, trace.context(round: rounds)) {
                    status = "witnessed"
                    detail = "by this run"
                } else {
                    status = "not witnessed"
                    detail = "by this run (another run may witness it)"
                }
            }
            return ExplorerView.PropertyView(
                name: p.name, kind: p.kind, definition: p.definition, status: status, detail: detail)
        }
    }

    /// An ITF value as compact text: sets `{…}`, lists `[…]`, ⊥ for `{}` in
    /// a list of options.
    static func render(_ v: ITFValue) -> String {
        switch v {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .string(let s): return s
        case .list(let xs):
            // A list of options (each a set of at most one integer) reads as a vector with ⊥.
            let options = xs.allSatisfy { x in
                if case .set(let e) = x { return e.count <= 1 && e.allSatisfy { $0.intValue != nil } }
                return false
            }
            if options && !xs.isEmpty {
                return "["
                    + xs.map { x in (x.elements?.first?.intValue).map(String.init) ?? "⊥" }.joined(separator: ",") + "]"
            }
            return "[" + xs.map(render).joined(separator: ",") + "]"
        case .set(let xs): return "{" + xs.map(render).joined(separator: ",") + "}"
        case .tuple(let xs): return "(" + xs.map(render).joined(separator: ",") + ")"
        case .map(let kvs): return "{" + kvs.map { render($0.0) + "↦" + render($0.1) }.joined(separator: ",") + "}"
        case .record(let fs): return "{" + fs.map { $0.0 + ": " + render($0.1) }.joined(separator: ", ") + "}"
        case .variant(let tag, let value): return tag + "(" + render(value) + ")"
        }
    }
}

extension ExplorerView {
    /// The view as the page reads it.
    public var json: JSON {
        .object([
            ("query", .object(position.query.map { ($0.0, .string($0.1)) })),
            ("protocol", .string(position.spec.protocolName)),
            ("variant", .string(position.spec.variant)),
            ("n", .int(position.spec.n)),
            ("t", .int(position.spec.t)),
            ("round", .int(position.round)),
            ("rounds", .int(rounds)),
            ("faulty", .array(position.pattern.faulty.map { .int($0) })),
            (
                "processes",
                .array(
                    processes.map { p in
                        .object([
                            ("id", .int(p.id)), ("faulty", .bool(p.faulty)), ("crashed", .bool(p.crashed)),
                            ("input", .int(p.input)),
                            (
                                "fields",
                                .array(
                                    p.fields.map {
                                        .object([
                                            ("name", .string($0.name)), ("value", .string($0.value)),
                                            ("changed", .bool($0.changed)),
                                        ])
                                    })
                            ),
                            ("decision", p.decision.map { .string($0) } ?? .null),
                        ])
                    })
            ),
            (
                "properties",
                .array(
                    properties.map {
                        .object([
                            ("name", .string($0.name)), ("kind", .string($0.kind.rawValue)),
                            ("definition", .string($0.definition)), ("status", .string($0.status)),
                            ("detail", .string($0.detail)),
                        ])
                    })
            ),
            ("svg", .string(svg)),
            ("legend", .string(legend)),
            (
                "next",
                .array(
                    next.map {
                        .object([
                            ("from", .int($0.from)), ("to", .int($0.to)), ("dropped", .bool($0.dropped)),
                            ("locked", $0.locked.map { .string($0) } ?? .null),
                        ])
                    })
            ),
        ])
    }
}
