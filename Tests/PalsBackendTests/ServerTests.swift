import PalsBackend
import PalsCore
import PalsProtocols
import Testing
import TrustedPals

@Suite(.timeLimit(.minutes(10))) struct ServerTests {
    func server(_ variant: UIC<Concrete>.Variant = .standard) -> BackendServer<UICCoding> {
        BackendServer(name: "test", protocolName: "uic") { n, t throws(PalsError) in
            guard t < n else { throw PalsError(.invalidArgument, "t = \(t) ≥ n = \(n)") }
            return (UIC(logic: Concrete(), n: n, t: t, variant: variant), UICCoding(n: n))
        }
    }

    func ask(_ s: BackendServer<UICCoding>, _ line: String) throws -> JSON {
        try JSON.parse(s.handle(line).compact)
    }

    @Test func servesOneRunLikeSimulate() throws {
        let s = server()
        #expect(try ask(s, #"{"op":"hello"}"#)["protocols"] == .array([.string("uic")]))
        for i in 0..<3 {
            let r = try ask(
                s, #"{"op":"init","run":1,"process":\#(i),"protocol":"uic","n":3,"t":1,"input":\#(10 + i)}"#)
            #expect(r["ok"]?.boolValue == true)
        }
        // Round 1: everybody hears everybody but p0 loses p2's message.
        var sent: [[JSON]] = []
        for i in 0..<3 {
            let r = try ask(s, #"{"op":"send","run":1,"process":\#(i),"round":1}"#)
            sent.append(try #require(r["messages"]?.arrayValue))
        }
        for j in 0..<3 {
            let inbox = (0..<3).map { i in j == 0 && i == 2 ? JSON.null : sent[i][j] }
            let req = JSON.object([
                ("op", .string("deliver")), ("run", .int(1)), ("process", .int(j)), ("round", .int(1)),
                ("messages", .array(inbox)),
            ])
            #expect(try ask(s, req.compact)["ok"]?.boolValue == true)
        }
        // Compare with the reference semantics after one round.
        let proto = UIC(logic: Concrete(), n: 3, t: 1)
        let trace = simulateValidated(
            proto, inputs: [10, 11, 12],
            pattern: FailurePattern(faulty: ProcessSet([2]), drops: [Link(round: 1, from: 2, to: 0)]))
        let r2 = try ask(s, #"{"op":"send","run":1,"process":0,"round":2}"#)
        #expect(r2["messages"]?.arrayValue?.first == UICCoding(n: 3).encode(trace.messages[1][0][0]))
        #expect(try ask(s, #"{"op":"end","run":1}"#)["ok"]?.boolValue == true)
    }

    @Test func badRequestsGetErrorReplies() throws {
        let s = server()
        for line in [
            "not json", #"{"op":"fly"}"#, #"{"run":1}"#, #"{"op":"send","run":9,"process":0,"round":1}"#,
            #"{"op":"init","run":1,"process":0,"protocol":"floodset","n":3,"t":1,"input":1}"#,
            #"{"op":"init","run":1,"process":0,"protocol":"uic","n":3,"t":3,"input":1}"#,
            #"{"op":"init","run":1,"process":5,"protocol":"uic","n":3,"t":1,"input":1}"#,
        ] {
            #expect(try ask(s, line)["error"]?.stringValue != nil, "\(line)")
        }
        _ = try ask(s, #"{"op":"init","run":2,"process":0,"protocol":"uic","n":3,"t":1,"input":1}"#)
        let short = try ask(s, #"{"op":"deliver","run":2,"process":0,"round":1,"messages":[null]}"#)
        #expect(short["error"]?.stringValue?.contains("3 entries") == true)
        let garbled = try ask(s, #"{"op":"deliver","run":2,"process":0,"round":1,"messages":[{"view":1},null,null]}"#)
        #expect(garbled["error"]?.stringValue?.contains("p0") == true)
    }

    @Test func decisionsEncodeAndDecode() {
        let d = Decision<Concrete>(decided: true, value: [1, Concrete.bottomValue, 3])
        let j = DecisionCoding.encode(d)
        #expect(j.compact == #"{"decided":true,"value":[1,null,3]}"#)
        if case .success(let v) = DecisionCoding.decode(j, n: 3) {
            #expect(v == [1, nil, 3])
        } else {
            Issue.record("decode failed")
        }
        if case .success(let v) = DecisionCoding.decode(.object([("decided", .bool(false))]), n: 3) {
            #expect(v == nil)
        } else {
            Issue.record("decode failed")
        }
        for bad in [#"{"decided":true,"value":[1,2]}"#, #"{"value":[1,2,3]}"#, #"{"decided":true,"value":[1,"x",3]}"#] {
            if case .success = DecisionCoding.decode(try! JSON.parse(bad), n: 3) { Issue.record("accepted \(bad)") }
        }
        #expect(JSON.object([("a", .int(1)), ("b", .null)]).sameValue(as: .object([("b", .null), ("a", .int(1))])))
        #expect(!JSON.object([("a", .int(1))]).sameValue(as: .object([("a", .int(2))])))
    }
}

@Suite(.timeLimit(.minutes(10))) struct ConnectionTests {
    @Test func aHungBackendTimesOut() throws {
        let start = ContinuousClock.now
        let c = try BackendConnection(command: "echo starting >&2; sleep 30", timeout: 0.3)
        defer { c.close() }
        do {
            _ = try c.request(.object([("op", .string("hello"))]))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.message.contains("no reply within"))
            #expect(error.request == #"{"op":"hello"}"#)
            #expect(error.stderr.contains("starting"))
        }
        c.close()
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func pipelinedRequestsComeBackInOrderWithoutDeadlock() throws {
        // `cat` answers each request with itself. 3,000 requests of ~1 KB are
        // far more than the pipes hold, so writing must interleave with reading.
        let c = try BackendConnection(command: "cat", timeout: 5)
        defer { c.close() }
        let pad = String(repeating: "x", count: 1000)
        let batch: [JSON] = (0..<3000).map { .object([("k", .int($0)), ("pad", .string(pad))]) }
        let replies = try c.requests(batch)
        #expect(replies.map { $0["k"]?.intValue ?? -1 } == Array(0..<3000))
        #expect(try c.request(.object([("op", .string("again"))]))["op"]?.stringValue == "again")
    }

    @Test func anEchoIsAProtocolErrorAndAnExitIsReported() throws {
        let echo = BackendDriver(connection: try BackendConnection(command: "cat", timeout: 2))
        defer { echo.connection.close() }
        #expect(throws: BackendError.self) { _ = try echo.hello() }
        let gone = try BackendConnection(command: "echo bye >&2; exit 4", timeout: 2)
        defer { gone.close() }
        do {
            _ = try gone.request(.object([("op", .string("hello"))]))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("status 4") || error.message.contains("closed its input"))
            #expect(error.stderr.contains("bye"))
        }
    }
}
