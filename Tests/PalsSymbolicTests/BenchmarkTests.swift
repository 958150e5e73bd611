import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Timings of the symbolic checker on larger UIC instances (DESIGN §4). Off
/// by default (minutes in debug builds); run in release with
/// `PALS_SYMBOLIC_BENCH='7,3:holds;6,3:violated' swift test -c release --filter SymbolicBenchmark`.
/// Each entry is `n,t:expected[:nosym]`, expected ∈ holds / violated;
/// `nosym` turns symmetry reduction off.
@Suite(.enabled(if: getenv("PALS_SYMBOLIC_BENCH") != nil, "set PALS_SYMBOLIC_BENCH to run"), .timeLimit(.minutes(30)))
struct SymbolicBenchmark {
    static var cases: [(n: Int, t: Int, expected: Verdict, symmetry: Bool)] {
        guard let spec = getenv("PALS_SYMBOLIC_BENCH").map({ String(cString: $0) }) else { return [] }
        return spec.split(separator: ";").compactMap { item in
            let parts = item.split(separator: ":")
            let nt = parts[0].split(separator: ",").compactMap { Int($0) }
            guard nt.count == 2, parts.count >= 2, let s = Verdict(rawValue: String(parts[1])) else {
                return nil
            }
            return (nt[0], nt[1], s, !parts.contains("nosym"))
        }
    }

    @Test func timings() throws {
        for c in Self.cases {
            let r = try checkUIC(n: c.n, t: c.t, symmetry: c.symmetry)
            #expect(r.verdict == c.expected, "UIC (\(c.n),\(c.t))")
            var line =
                "UIC n=\(c.n) t=\(c.t)\(c.symmetry ? "" : " (no symmetry)"): \(r.verdict.rawValue) in \(r.seconds) s (build \(r.buildSeconds) s)"
            for v in r.verdicts {
                line += "\n  \(v.name): \(v.status.rawValue) \(v.seconds) s"
                if let p = v.pattern, v.status == .violated {
                    line += " [\(p.faulty) crashes \(p.crashes.count) drops \(p.drops.count)]"
                }
            }
            print(line)
        }
    }
}
