/// One run laid out for drawing: what a space-time diagram shows, in plain
/// values (no protocol types), so that a terminal, an HTML report or a web
/// page can render it.
public struct SpaceTimeRun: Sendable, Equatable {
    /// The number of processes drawn.
    public var n: Int
    /// The number of rounds R drawn.
    public var rounds: Int
    /// `inputs[i]`: the input of `p_i`.
    public var inputs: [Int]
    /// The faulty set of the run's failure pattern.
    public var faulty: ProcessSet
    /// `crashRound[i]`: the round from which `p_i` takes no step
    /// (`rounds + 1`: crashed before deciding), or nil.
    public var crashRound: [Int?]
    /// `delivered[r-1][j]`: senders whose round-`r` message reached `p_j`.
    public var delivered: [[ProcessSet]]
    /// `silent[r-1][i]`: receivers to which `p_i`'s module put no frame on the
    /// wire in round `r` (observable protocols; empty otherwise).
    public var silent: [[ProcessSet]]
    /// `notes[r][i]`: the protocol's summary of `p_i`'s state after round `r`.
    public var notes: [[String]]
    /// What the notes mean (empty when there are none).
    public var noteLegend: String
    /// Per process: its decision as text, or nil when it did not decide.
    public var decisions: [String?]

    /// The drawing of `trace`. `describe`, when given, writes the note shown for a state;
    /// `silent(r, i, j)`, when given, is true iff `p_i`'s module put no frame for `p_j` on the wire in round `r`.
    public init<P: RoundProtocol>(
        _ trace: Trace<P>, describe: ((P.State) -> String)? = nil, silent: ((Int, Int, Int) -> Bool)? = nil
    ) where P.L == Concrete {
        let n = trace.inputs.count
        self.n = n
        self.rounds = trace.rounds
        self.inputs = trace.inputs
        self.faulty = trace.pattern.faulty
        self.crashRound = (0..<n).map { i in
            (1...(trace.rounds + 1)).first { trace.crashed[$0].contains(i) }
        }
        self.delivered = trace.delivered
        self.silent = (0..<trace.rounds).map { r in
            (0..<n).map { i in
                var s = ProcessSet()
                if let silent { for j in 0..<n where silent(r + 1, i, j) { s.insert(j) } }
                return s
            }
        }
        self.notes = trace.states.map { row in row.map { describe?($0) ?? "" } }
        self.noteLegend = describe == nil ? "" : ((P.self as? any DiagramLegend.Type)?.noteLegend ?? "")
        self.decisions = (0..<n).map { i in
            let d = trace.decisions[i]
            guard d.decided, !trace.crashed[trace.rounds + 1].contains(i) else { return nil }
            return "[" + d.value.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ",") + "]"
        }
    }

    /// Whether `p_i` takes its step in round `r`.
    public func alive(_ i: Int, round r: Int) -> Bool { (crashRound[i] ?? Int.max) > r }

    /// The messages of round `r` between distinct processes that both take
    /// the step, split into delivered and dropped (self-messages are never
    /// lost and are not listed).
    public func links(round r: Int) -> (delivered: [(from: Int, to: Int)], dropped: [(from: Int, to: Int)]) {
        var d: [(Int, Int)] = []
        var x: [(Int, Int)] = []
        for i in 0..<n where alive(i, round: r) {
            for j in 0..<n where j != i && alive(j, round: r) && !silent[r - 1][i].contains(j) {
                if delivered[r - 1][j].contains(i) { d.append((i, j)) } else { x.append((i, j)) }
            }
        }
        return (d, x)
    }
}

/// The space-time diagram of a run as a standalone SVG element: processes as
/// rows, rounds as columns, delivered messages as arrows, dropped ones as
/// crossed stubs, faulty processes in red with `*`, crashes as a bar.
public enum SpaceTimeSVG {
    static let rowHeight = 44
    static let roundWidth = 150
    static let left = 150
    static let top = 40

    /// Escapes text for XML and HTML.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control and bidirectional-override characters never reach a page.
                if ch.value < 0x20 || (0x202A...0x202E).contains(ch.value) || (0x2066...0x2069).contains(ch.value) {
                    out += "?"
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out
    }

    /// - Parameter highlightRound: a round whose column is shaded (e.g. the
    ///   round after which a property fails).
    public static func render(_ run: SpaceTimeRun, highlightRound: Int? = nil) -> String {
        let width = left + max(run.rounds, 1) * roundWidth + 170
        let height = top + run.n * rowHeight + 30
        func y(_ i: Int) -> Int { top + i * rowHeight + rowHeight / 2 }
        func x(_ r: Int) -> Int { left + r * roundWidth }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spacetime\" width=\"\(width)\" height=\"\(height)\" "
        s += "viewBox=\"0 0 \(width) \(height)\" font-family=\"monospace\" font-size=\"12\" role=\"img\">\n"
        s +=
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
        s += "orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#1f5fa8\"/></marker></defs>\n"
        if let h = highlightRound, h >= 1, h <= run.rounds {
            s += "<rect class=\"highlight\" x=\"\(x(h - 1))\" y=\"\(top - 10)\" width=\"\(roundWidth)\" "
            s += "height=\"\(run.n * rowHeight + 10)\" fill=\"#fff3c4\"/>\n"
        }
        for r in stride(from: 1, through: run.rounds, by: 1) {
            s +=
                "<text class=\"round-label\" x=\"\(x(r - 1) + roundWidth / 2)\" y=\"\(top - 16)\" text-anchor=\"middle\">round \(r)</text>\n"
            s +=
                "<line x1=\"\(x(r))\" y1=\"\(top - 8)\" x2=\"\(x(r))\" y2=\"\(top + run.n * rowHeight)\" stroke=\"#ddd\"/>\n"
        }
        for i in 0..<run.n {
            let faulty = run.faulty.contains(i)
            let color = faulty ? "#b3261e" : "#222"
            let end = run.crashRound[i].map { min($0 - 1, run.rounds) } ?? run.rounds
            s += "<g class=\"process\" data-process=\"\(i)\"\(faulty ? " data-faulty=\"true\"" : "")>"
            s +=
                "<text x=\"8\" y=\"\(y(i) + 4)\" fill=\"\(color)\">p\(i)\(faulty ? "*" : "") in \(escape(String(run.inputs[i])))</text>"
            s +=
                "<line x1=\"\(left)\" y1=\"\(y(i))\" x2=\"\(x(end))\" y2=\"\(y(i))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            if let c = run.crashRound[i] {
                let cx = x(min(c - 1, run.rounds))
                s += "<rect class=\"crash\" x=\"\(cx - 3)\" y=\"\(y(i) - 12)\" width=\"6\" height=\"24\" fill=\"#000\">"
                s += "<title>p\(i) crashes \(c > run.rounds ? "before deciding" : "in round \(c)")</title></rect>"
            }
            for r in stride(from: 1, through: run.rounds, by: 1) where run.alive(i, round: r) {
                let note = run.notes[r][i]
                if !note.isEmpty {
                    s +=
                        "<text class=\"note\" x=\"\(x(r) - 4)\" y=\"\(y(i) - 6)\" text-anchor=\"end\" fill=\"#555\">\(escape(note))</text>"
                }
            }
            let decision = run.decisions[i].map { "→ " + $0 } ?? "no decision"
            s +=
                "<text class=\"decision\" x=\"\(x(run.rounds) + 10)\" y=\"\(y(i) + 4)\" fill=\"\(color)\">\(escape(decision))</text>"
            s += "</g>\n"
        }
        for r in stride(from: 1, through: run.rounds, by: 1) {
            let (delivered, dropped) = run.links(round: r)
            let x0 = x(r - 1) + 6
            let x1 = x(r) - 6
            for (i, j) in delivered {
                s += "<line class=\"msg delivered\" data-round=\"\(r)\" data-from=\"\(i)\" data-to=\"\(j)\" "
                s +=
                    "x1=\"\(x0)\" y1=\"\(y(i))\" x2=\"\(x1)\" y2=\"\(y(j))\" stroke=\"#1f5fa8\" stroke-opacity=\"0.55\" "
                s += "marker-end=\"url(#arrow)\"><title>round \(r): p\(i) → p\(j) delivered</title></line>\n"
            }
            for (i, j) in dropped {
                // A stub from the sender toward the receiver, crossed at its end.
                let mx = x0 + (x1 - x0) * 2 / 5
                let my = y(i) + (y(j) - y(i)) * 2 / 5
                s +=
                    "<g class=\"msg dropped\" data-round=\"\(r)\" data-from=\"\(i)\" data-to=\"\(j)\"><title>round \(r): p\(i) → p\(j) dropped</title>"
                s +=
                    "<line x1=\"\(x0)\" y1=\"\(y(i))\" x2=\"\(mx)\" y2=\"\(my)\" stroke=\"#b3261e\" stroke-dasharray=\"4 3\"/>"
                s +=
                    "<path d=\"M \(mx - 5) \(my - 5) L \(mx + 5) \(my + 5) M \(mx - 5) \(my + 5) L \(mx + 5) \(my - 5)\" "
                s += "stroke=\"#b3261e\" stroke-width=\"2\"/></g>\n"
            }
        }
        s += "</svg>"
        return s
    }

    /// The legend under a diagram, as HTML.
    public static func legendHTML(_ run: SpaceTimeRun) -> String {
        var items = [
            "<span style=\"color:#1f5fa8\">→</span> message delivered",
            "<span style=\"color:#b3261e\">- - ✕</span> message dropped",
            "<span style=\"color:#b3261e\">p*</span> faulty process",
            "▮ crash (no step from that round on)",
            "self-messages are never lost and are not drawn",
        ]
        if run.silent.contains(where: { $0.contains { !$0.isEmpty } }) {
            items.append("no line: the module put no frame on the wire")
        }
        if !run.noteLegend.isEmpty { items.append("notes: " + escape(run.noteLegend)) }
        return "<ul class=\"legend\">" + items.map { "<li>\($0)</li>" }.joined() + "</ul>"
    }
}
