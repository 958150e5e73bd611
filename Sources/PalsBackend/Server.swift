import PalsCore

/// Serves the backend protocol (DESIGN §6) with our own implementation of a
/// protocol: the reference backend that other oracles can test against, and,
/// with a mutant instance, a broken backend that ours must catch.
///
/// Any number of runs may be open at once; each keeps the state of each of
/// its processes. A process whose protocol has fewer rounds than the oracle
/// drives (a mutant such as UIC's `t-rounds`) keeps sending from its last
/// state and ignores the extra deliveries.
public final class BackendServer<C: MessageCoding> {
    /// The name in the `hello` reply.
    public let name: String
    /// The protocol served, as named in `init` requests.
    public let protocolName: String
    private let make: (Int, Int) throws(PalsError) -> (C.P, C)
    private var runs: [Int: Session] = [:]

    private struct Session {
        var proto: C.P
        var coding: C
        var states: [Int: C.P.State] = [:]
    }

    /// - Parameter make: the instance and its message encoding for (n, t);
    ///   a `PalsError` for values it cannot serve.
    public init(name: String, protocolName: String, make: @escaping (Int, Int) throws(PalsError) -> (C.P, C)) {
        self.name = name
        self.protocolName = protocolName
        self.make = make
    }

    /// Answers requests until `readLine` returns nil (end of input).
    public func serve(readLine: () -> String?, write: (String) -> Void) {
        while let line = readLine() {
            if line.allSatisfy(\.isWhitespace) { continue }
            write(handle(line).compact)
        }
    }

    /// The reply to one request line.
    public func handle(_ line: String) -> JSON {
        do throws(PalsError) {
            return try answer(try JSON.parse(line))
        } catch {
            return .object([("error", .string(error.message))])
        }
    }

    private func answer(_ request: JSON) throws(PalsError) -> JSON {
        func int(_ key: String) throws(PalsError) -> Int {
            guard let v = request[key]?.intValue else {
                throw PalsError(.invalidArgument, "the request needs an integer \"\(key)\"")
            }
            return v
        }
        let ok = JSON.object([("ok", .bool(true))])
        guard let op = request["op"]?.stringValue else {
            throw PalsError(.invalidArgument, "the request needs a string \"op\"")
        }
        switch op {
        case "hello":
            return .object([("name", .string(name)), ("protocols", .array([.string(protocolName)]))])
        case "init":
            let run = try int("run")
            let p = try int("process")
            let n = try int("n")
            let t = try int("t")
            let input = try int("input")
            guard let proto = request["protocol"]?.stringValue else {
                throw PalsError(.invalidArgument, "init needs a string \"protocol\"")
            }
            guard proto == protocolName else {
                throw PalsError(.unknownProtocol, "this backend serves only \(protocolName), not \"\(proto)\"")
            }
            guard input != Concrete.bottomValue else {
                throw PalsError(.invalidArgument, "input \(input) is reserved for ⊥")
            }
            var session: Session
            if let s = runs[run] {
                guard s.proto.n == n, s.proto.t == t else {
                    throw PalsError(.invalidArgument, "run \(run) was started with n = \(s.proto.n), t = \(s.proto.t)")
                }
                session = s
            } else {
                let (instance, coding) = try make(n, t)
                session = Session(proto: instance, coding: coding)
            }
            guard p >= 0 && p < n else { throw PalsError(.invalidArgument, "process \(p) is outside 0…\(n - 1)") }
            session.states[p] = session.proto.initial(ProcessID(p), input: input)
            runs[run] = session
            return ok
        case "send":
            let (run, p, session, state) = try lookup(request)
            let round = try int("round")
            guard round >= 1 else { throw PalsError(.invalidArgument, "round \(round) is before round 1") }
            _ = run
            _ = p
            let messages = (0..<session.proto.n).map { j in
                session.coding.encode(session.proto.message(state, round: round, to: ProcessID(j)))
            }
            return .object([("messages", .array(messages))])
        case "deliver":
            let (run, p, session, state) = try lookup(request)
            let round = try int("round")
            guard round >= 1 else { throw PalsError(.invalidArgument, "round \(round) is before round 1") }
            let n = session.proto.n
            guard let list = request["messages"]?.arrayValue, list.count == n else {
                throw PalsError(.invalidArgument, "deliver needs an array \"messages\" of n = \(n) entries")
            }
            guard round <= session.proto.rounds else { return ok }
            let placeholder = session.proto.message(state, round: round, to: ProcessID(p))
            var inbox: [Delivery<C.P.Message, Concrete>] = []
            for (j, m) in list.enumerated() {
                if m.isNull {
                    inbox.append(Delivery(arrived: false, message: placeholder))
                } else {
                    do throws(PalsError) {
                        inbox.append(Delivery(arrived: true, message: try session.coding.decode(m)))
                    } catch {
                        throw PalsError(.invalidArgument, "message from p\(j): \(error.template)")
                    }
                }
            }
            runs[run]?.states[p] = session.proto.receive(state, round: round, inbox: inbox)
            return ok
        case "decision":
            let (_, _, session, state) = try lookup(request)
            return DecisionCoding.encode(session.proto.decision(state))
        case "end":
            runs[try int("run")] = nil
            return ok
        default:
            throw PalsError(.invalidArgument, "unknown op \"\(op)\"")
        }
    }

    private func lookup(_ request: JSON) throws(PalsError) -> (Int, Int, Session, C.P.State) {
        guard let run = request["run"]?.intValue, let p = request["process"]?.intValue else {
            throw PalsError(.invalidArgument, "the request needs integers \"run\" and \"process\"")
        }
        guard let session = runs[run] else { throw PalsError(.invalidArgument, "run \(run) was not started by init") }
        guard let state = session.states[p] else {
            throw PalsError(.invalidArgument, "process \(p) of run \(run) was not started by init")
        }
        return (run, p, session, state)
    }
}
