import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

#if canImport(Glibc)
    import Glibc
#endif

/// Hosts of a deployment on loopback, each with its TLS identity; the ids
/// not in `live` never start (their address is a port nobody listens on).
final class LoopbackHosts {
    let d: Deployment
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var hosts: [TCPHost?]
    var addresses: [HostPort?]

    init(_ d: Deployment, live: [Int]) throws {
        self.d = d
        let n = d.model.n
        hosts = Array(repeating: nil, count: n)
        addresses = Array(repeating: nil, count: n)
        for i in live {
            let h = try TCPHost(tls: d.tls(i), n: n, group: group)
            addresses[i] = HostPort(host: "127.0.0.1", port: try h.listen(on: HostPort(host: "127.0.0.1", port: 0)))
            hosts[i] = h
        }
        for i in 0..<n where addresses[i] == nil {
            addresses[i] = HostPort(host: "127.0.0.1", port: try Self.freePort())
        }
    }

    /// A port that was free on 127.0.0.1 a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw PalsError(.invalidArgument, "no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    var live: [TCPHost] { hosts.compactMap { $0 } }

    /// Connects every live host to every address, waiting at most `timeout`.
    @discardableResult
    func connect(timeout: TimeAmount = .seconds(10)) -> [ProcessSet] {
        for h in live { h.startConnecting(to: addresses) }
        let everyone = ProcessSet.all(d.model.n)
        return live.map { $0.waitForConnections(everyone.subtracting(ProcessSet([$0.id])), timeout: timeout) }
    }

    /// Runs one instance on every live host (`only`: these; T0 = `lead` after
    /// every one has begun); `during` runs meanwhile; a host's
    /// last logged round stands for it if it is shut down midway.
    func run(
        session: UInt64, inputs: [Int], plan: AdversaryPlan = .none, lead: Int64 = 50_000_000,
        roundLength: Int64 = 2_000_000_000, minRound: Int64 = 0, only: [Int]? = nil, during: (() -> Void)? = nil
    ) throws -> RunTrace {
        let partial = NIOLockedValueBox([PeerLog?](repeating: nil, count: d.model.n))
        let modules = try d.modules()
        var futures: [(Int, EventLoopFuture<SessionOutcome>)] = []
        for h in live where only?.contains(h.id) ?? true {
            let i = h.id
            var parameters = d.parameters(
                session: session, input: inputs[i], plan: plan, start: 0, roundLength: roundLength)
            parameters.minRound = minRound
            futures.append(
                (
                    i,
                    h.start(
                        parameters,
                        client: ModuleClient(modules[i]),
                        onRound: { log in partial.withLockedValue { $0[i] = log } }, armStart: false)
                ))
        }
        // Every running host has begun before any T0 comes.
        for h in live { h.settle() }
        let schedule = RoundSchedule(start: systemWallClock() + lead, roundLength: roundLength)
        for h in live where only?.contains(h.id) ?? true { h.startAt(schedule) }
        during?()
        var logs = partial.withLockedValue { $0 }
        for (i, f) in futures {
            if let outcome = try? f.wait() {
                logs[i] = outcome.log
            } else {
                logs[i] = partial.withLockedValue { $0[i] }
            }
        }
        return d.trace(session: session, inputs: inputs, plan: plan, logs: logs)
    }

    func shutdown() {
        for h in live { h.shutdown() }
        try? group.syncShutdownGracefully()
    }
}

@Suite("Runtime over TCP with TLS on loopback", .serialized, .timeLimit(.minutes(10)))
struct TCPTests {
    @Test("a TCP campaign against the random adversary conforms in every run")
    func campaign() throws {
        let model = try uicRuntimeModel(ModelSpec(protocolName: "uic", n: 4, t: 1))
        // A long round length: if an injected drop or crash made a host wait
        // for it, that run would take at least this long.
        let timeout = 20.0
        let r = try Campaign(model: model).run(
            CampaignOptions(runs: 150, seed: 4, transport: .tcp, roundTimeout: timeout))
        #expect(r.runs == 150)
        #expect((r.runTimes.max() ?? timeout) < timeout, "injected faults must not make rounds wait for the deadline")
        #expect(r.violations == 0 && r.disagreements == 0 && r.outsideModel == 0)
        #expect(r.injectedDrops > 0 && r.injectedCrashes > 0)
        #expect(r.roundLatencies.count > 150 * 4)
    }

    @Test("the memory and TCP transports realize the same patterns and results")
    func transportsAgree() throws {
        let model = try uicRuntimeModel(ModelSpec(protocolName: "uic", n: 3, t: 1))
        let a = try Campaign(model: model).run(CampaignOptions(runs: 40, seed: 8, transport: .memory))
        let b = try Campaign(model: model).run(CampaignOptions(runs: 40, seed: 8, transport: .tcp))
        #expect(a.runs == 40 && b.runs == 40)
        #expect(a.injectedDrops == b.injectedDrops && a.injectedCrashes == b.injectedCrashes)
        #expect(a.violations + a.disagreements + b.violations + b.disagreements == 0)
    }

    @Test("a peer that never connects is an omitting process: the others decide at once, the oracle agrees")
    func neverConnects() throws {
        let c = try LoopbackHosts(try Deployment(n: 4, t: 1), live: [0, 1, 2])
        defer { c.shutdown() }
        for got in c.connect(timeout: .milliseconds(500)) { #expect(!got.contains(3)) }
        let started = Date()
        // A long round: waiting for the absent peer even once would show.
        let trace = try c.run(session: 1, inputs: [5, 6, 7, 8], roundLength: 10_000_000_000)
        #expect(Date().timeIntervalSince(started) < 10)
        let report = try c.d.oracle().check(trace)
        #expect(report.verdict == .conforms, "\(report.notes)")
        #expect(report.violations.isEmpty)
        #expect(report.realized.crashes == [Crash(process: 3, round: 1)])
        for i in 0..<3 { #expect(trace.logs[i]?.decision?.value == [5, 6, 7, Concrete.bottomValue]) }
    }

    @Test("garbage on a socket fails the TLS handshake and closes that connection only; the run conforms")
    func garbageOnSocket() throws {
        let c = try LoopbackHosts(try Deployment(n: 3, t: 1), live: [0, 1, 2])
        defer { c.shutdown() }
        for payload in [
            [UInt8](repeating: 0xAB, count: 64), [0xFF, 0xFF, 0xFF, 0xFF, 1],
            [0, 0, 0, 15, 2] + [UInt8](repeating: 0, count: 14),
        ] {
            rawSend(payload, to: c.addresses[1]!.port)
        }
        for got in c.connect() { #expect(got.count == 2) }
        let trace = try c.run(session: 2, inputs: [1, 2, 3])
        let report = try c.d.oracle().check(trace)
        #expect(report.verdict == .conforms)
        #expect(report.realized == FailurePattern())
    }

    @Test("a peer that comes up late but before T0 is connected by then; nothing is lost")
    func lateStarter() throws {
        let d = try Deployment(n: 3, t: 1)
        let c = try LoopbackHosts(d, live: [0, 1])
        defer { c.shutdown() }
        for got in c.connect(timeout: .milliseconds(200)) { #expect(!got.contains(2)) }
        // p2 starts now, on the address the others keep retrying.
        let late = try TCPHost(tls: d.tls(2), n: 3, group: c.group)
        _ = try late.listen(on: c.addresses[2]!)
        c.hosts[2] = late
        #expect(late.connect(to: c.addresses, timeout: .seconds(10)).count == 2)
        for h in c.live { _ = h.connect(to: c.addresses, timeout: .seconds(10)) }
        let trace = try c.run(session: 10, inputs: [1, 2, 3])
        let r = try d.oracle().check(trace)
        #expect(r.verdict == .conforms)
        #expect(r.realized == FailurePattern())
    }

    @Test("listening on a port in use is a clear error")
    func portInUse() throws {
        let d = try Deployment(n: 2, t: 0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let a = try TCPHost(tls: d.tls(0), n: 2, group: group)
        let port = try a.listen(on: HostPort(host: "127.0.0.1", port: 0))
        defer { a.shutdown() }
        let b = try TCPHost(tls: d.tls(1), n: 2, group: group)
        defer { b.shutdown() }
        #expect(throws: PalsError.self) { try b.listen(on: HostPort(host: "127.0.0.1", port: port)) }
    }
}

/// Writes `bytes` to a fresh TCP connection to 127.0.0.1:`port` and closes it.
func rawSend(_ bytes: [UInt8], to port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard ok == 0 else { return }
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
}
