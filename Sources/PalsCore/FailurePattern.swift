/// A message link `from → to` in one round.
public struct Link: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The round in which the message is sent, `1 ... R`.
    public var round: Int
    /// The index of the sending process.
    public var from: Int
    /// The index of the receiving process.
    public var to: Int

    /// The link `p<from> → p<to>` of round `round`.
    @inlinable
    public init(round: Int, from: Int, to: Int) {
        self.round = round
        self.from = from
        self.to = to
    }

    /// Orders links by round, then sender, then receiver.
    public static func < (a: Link, b: Link) -> Bool {
        (a.round, a.from, a.to) < (b.round, b.from, b.to)
    }

    /// The round and the link, as in `round 2 p0→p3`.
    public var description: String { "round \(round) p\(from)→p\(to)" }
}

/// A crash of `process` at `round`: from that round on it sends nothing,
/// receives nothing, takes no step and never decides. `round == R + 1` means
/// it completed every round but crashed before deciding.
public struct Crash: Hashable, Comparable, Sendable {
    /// The index of the crashing process.
    public var process: Int
    /// The first round in which the process takes no part, `1 ... R + 1`.
    public var round: Int

    /// `p<process>` crashes at round `round`.
    public init(process: Int, round: Int) {
        self.process = process
        self.round = round
    }

    /// Orders crashes by process, then round.
    public static func < (a: Crash, b: Crash) -> Bool { (a.process, a.round) < (b.process, b.round) }
}

/// Which failures a pattern may contain.
public enum FaultModel: String, Sendable, CaseIterable {
    /// General omission (Perry & Toueg): a faulty process may omit to send and
    /// to receive any message, and may crash.
    case generalOmission = "omission"
    /// Crash-stop: a faulty process behaves correctly until it crashes; in the
    /// round before its crash it may reach any subset of the processes.
    case crash
}

/// A failure pattern (DESIGN §1): the faulty set F, crashes, and the links
/// dropped in each round. Admissible iff |F| ≤ t, every crashing process and
/// every dropped link touches F, and self-messages are never lost.
public struct FailurePattern: Hashable, Sendable {
    /// The faulty set F; in an admissible pattern |F| ≤ t and every crash and dropped link involves a member.
    public var faulty: ProcessSet
    /// At most one crash per process, sorted by process.
    public var crashes: [Crash]
    /// Dropped links, sorted by (round, from, to), without duplicates.
    public var drops: [Link]

    /// A pattern with faulty set `faulty`; crashes are sorted, drops sorted and without duplicates. Not validated.
    public init(faulty: ProcessSet = ProcessSet(), crashes: [Crash] = [], drops: [Link] = []) {
        self.faulty = faulty
        self.crashes = crashes.sorted()
        self.drops = Array(Set(drops)).sorted()
    }

    /// The pattern in which nothing fails.
    public static let none = FailurePattern()

    /// The round at which `p` crashes, if it does.
    public func crashRound(of p: Int) -> Int? {
        crashes.first(where: { $0.process == p })?.round
    }

    /// `dropped[r-1][q]`: the senders whose round-`r` message to `q` is dropped
    /// (not counting crashes).
    public func droppedSenders(n: Int, rounds: Int) -> [[ProcessSet]] {
        var d = Array(repeating: Array(repeating: ProcessSet(), count: n), count: rounds)
        for l in drops where l.round >= 1 && l.round <= rounds && l.to < n && l.from < n {
            d[l.round - 1][l.to].insert(l.from)
        }
        return d
    }

    /// Checks the pattern against the model; the error names the offending
    /// process, link or round.
    public func validate(n: Int, t: Int, rounds: Int, model: FaultModel = .generalOmission) throws(PalsError) {
        for p in faulty where p >= n {
            throw PalsError(.inadmissiblePattern, "faulty process p\(p) does not exist (n = \(n))")
        }
        if faulty.count > t {
            throw PalsError(
                .inadmissiblePattern,
                "\(faulty.count) faulty processes \(faulty) but at most t = \(t) may be faulty")
        }
        var seen = ProcessSet()
        for c in crashes {
            guard c.process >= 0 && c.process < n else {
                throw PalsError(.inadmissiblePattern, "crash of p\(c.process), which does not exist (n = \(n))")
            }
            guard faulty.contains(c.process) else {
                throw PalsError(.inadmissiblePattern, "p\(c.process) crashes but is not in the faulty set \(faulty)")
            }
            guard c.round >= 1 && c.round <= rounds + 1 else {
                throw PalsError(
                    .inadmissiblePattern,
                    "p\(c.process) crashes at round \(c.round), outside 1…\(rounds + 1)")
            }
            guard !seen.contains(c.process) else {
                throw PalsError(.inadmissiblePattern, "p\(c.process) crashes more than once")
            }
            seen.insert(c.process)
        }
        for l in drops {
            guard l.round >= 1 && l.round <= rounds else {
                throw PalsError(.inadmissiblePattern, "dropped link \(l): round outside 1…\(rounds)")
            }
            guard l.from >= 0 && l.from < n && l.to >= 0 && l.to < n else {
                throw PalsError(.inadmissiblePattern, "dropped link \(l): no such process (n = \(n))")
            }
            guard l.from != l.to else {
                throw PalsError(.inadmissiblePattern, "dropped link \(l): self-messages are never lost")
            }
            guard faulty.contains(l.from) || faulty.contains(l.to) else {
                throw PalsError(
                    .inadmissiblePattern,
                    "dropped link \(l) joins two correct processes; general omission loses a message only if its sender or receiver is faulty"
                )
            }
            if model == .crash {
                guard crashRound(of: l.from) == l.round + 1 else {
                    throw PalsError(
                        .inadmissiblePattern,
                        "dropped link \(l) under crash failures: only the round before the sender's crash may lose messages"
                    )
                }
            }
        }
    }
}

extension FailurePattern {
    /// `{"faulty":[…],"crashes":[{"process","round"}],"drops":[{"round","from","to"}]}`
    /// (the fields of a counterexample file).
    public var json: JSON { .object(jsonFields) }

    /// The three fields `faulty`, `crashes`, `drops` in this order: the one
    /// writer of a pattern, shared by every file format that holds one.
    public var jsonFields: [(String, JSON)] {
        [
            ("faulty", .array(faulty.map { .int($0) })),
            ("crashes", .array(crashes.map { .object([("process", .int($0.process)), ("round", .int($0.round))]) })),
            (
                "drops",
                .array(
                    drops.map { .object([("round", .int($0.round)), ("from", .int($0.from)), ("to", .int($0.to))]) })
            ),
        ]
    }

    /// Reads the form of `json` (other fields are ignored; a missing list is
    /// empty, a list of another type is an error). Admissibility is `validate`'s business; the error names `what`.
    public init(json j: JSON, what: String) throws(PalsError) {
        var p = FailurePattern()
        if let list = j["faulty"] {
            guard let items = list.arrayValue else {
                throw PalsError(.malformedFile, "\(what): \"faulty\" must be an array of process indices")
            }
            for f in items {
                guard let i = f.intValue, i >= 0, i < ProcessSet.maxProcesses else {
                    throw PalsError(
                        .malformedFile, "\(what): \"faulty\" must hold process indices 0…\(ProcessSet.maxProcesses - 1)"
                    )
                }
                p.faulty.insert(i)
            }
        }
        for key in ["crashes", "drops"] {
            if let list = j[key], list.arrayValue == nil {
                throw PalsError(.malformedFile, "\(what): \"\(key)\" must be an array of objects")
            }
        }
        for c in j["crashes"]?.arrayValue ?? [] {
            guard let process = c["process"]?.intValue, let round = c["round"]?.intValue else {
                throw PalsError(.malformedFile, "\(what): each crash needs integer \"process\" and \"round\"")
            }
            p.crashes.append(Crash(process: process, round: round))
        }
        for d in j["drops"]?.arrayValue ?? [] {
            guard let round = d["round"]?.intValue, let from = d["from"]?.intValue, let to = d["to"]?.intValue else {
                throw PalsError(.malformedFile, "\(what): each drop needs integer \"round\", \"from\" and \"to\"")
            }
            p.drops.append(Link(round: round, from: from, to: to))
        }
        self = p
    }
}
