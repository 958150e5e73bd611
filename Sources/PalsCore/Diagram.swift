/// A space-time diagram of one run for the terminal: processes as rows,
/// rounds as columns. In round r, the cell of `p_i` shows what `p_i` sent to
/// p0 … p(n-1): `.` delivered, `x` dropped, `-` not sent (crashed), `o` not
/// put on the wire by its module (`silent`); a trailing note is the
/// protocol's summary of the state after the round, explained by the
/// protocol's `DiagramLegend` when it has one.
public enum Diagram {
    /// - Parameters:
    ///   - describe: the note printed after each cell.
    ///   - silent: `(round, from, to)` is true when the sender's module puts
    ///     no frame on the wire for that message (observable protocols).
    ///   - decision: a readable form of a decided vector, when the default
    ///     `[v0,…]` does not fit (nil: use the default).
    public static func render<P: RoundProtocol>(
        _ trace: Trace<P>, describe: ((P.State) -> String)? = nil, silent: ((Int, Int, Int) -> Bool)? = nil,
        decision: (([Int]) -> String?)? = nil
    ) -> String where P.L == Concrete {
        let n = trace.inputs.count
        let rounds = trace.rounds
        let faulty = trace.pattern.faulty
        func value(_ v: Int) -> String { v == Concrete.bottomValue ? "⊥" : String(v) }
        var header = ["proc", "input"]
        for r in 1...max(rounds, 1) where rounds >= 1 { header.append("r\(r)") }
        header.append("decision")
        var rows: [[String]] = []
        for i in 0..<n {
            var row = ["p\(i)" + (faulty.contains(i) ? "*" : ""), value(trace.inputs[i])]
            for r in stride(from: 1, through: rounds, by: 1) {
                var cell = ""
                let crashed = trace.crashed[r].contains(i)
                for j in 0..<n {
                    if crashed {
                        cell += "-"
                    } else if let silent, silent(r, i, j) {
                        cell += "o"
                    } else if trace.delivered[r - 1][j].contains(i) {
                        cell += "."
                    } else if trace.crashed[r].contains(j) {
                        cell += "-"
                    } else {
                        cell += "x"
                    }
                }
                if crashed {
                    cell += " crashed"
                } else if let describe {
                    let note = describe(trace.states[r][i])
                    if !note.isEmpty { cell += " " + note }
                }
                row.append(cell)
            }
            let d = trace.decisions[i]
            if trace.crashed[rounds + 1].contains(i) {
                row.append("crashed, no decision")
            } else if d.decided {
                row.append(decision?(d.value) ?? "[" + d.value.map(value).joined(separator: ",") + "]")
            } else {
                row.append("no decision")
            }
            rows.append(row)
        }
        var widths = header.map { $0.count }
        for row in rows {
            for (k, c) in row.enumerated() { widths[k] = max(widths[k], c.count) }
        }
        func line(_ cells: [String]) -> String {
            var s = ""
            for (k, c) in cells.enumerated() {
                s += c + String(repeating: " ", count: k == cells.count - 1 ? 0 : widths[k] - c.count + 2)
            }
            return s
        }
        var out = line(header) + "\n"
        for row in rows { out += line(row) + "\n" }
        var legend = "* faulty; in round r the cell of p_i shows its messages to p0…p\(n - 1): . delivered, x dropped, "
        legend += "- not sent or receiver crashed"
        if silent != nil { legend += ", o not put on the wire by its module" }
        if describe != nil, let notes = (P.self as? any DiagramLegend.Type)?.noteLegend, !notes.isEmpty {
            legend += "; after the cells: " + notes
        }
        out += "(" + legend + ")\n"
        return out
    }
}

/// A protocol whose diagram notes (`describe`) have a legend.
public protocol DiagramLegend {
    /// What each note means, e.g. "T3 trusts 3 processes, H halted".
    static var noteLegend: String { get }
}
