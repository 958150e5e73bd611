import Foundation
import NIOPosix
import PalsCLI
import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Runtime over TCP on loopback", .serialized, .timeLimit(.minutes(5)))
struct TCPTests {
    @Test("a TCP campaign against the random adversary conforms in every run")
    func campaign() throws {
        let model = try uicRuntimeModel(ModelSpec(protocolName: "uic", n: 4, t: 1))
        // A long round timeout: if an injected drop or crash made a host wait
        // for it, that run would take at least this long.
        let timeout = 20.0
        let r = try Campaign(model: model).run(CampaignOptions(runs: 150, seed: 4, transport: .tcp, roundTimeout: timeout))
        #expect(r.runs == 150)
        #expect((r.runTimes.max() ?? timeout) < timeout, "injected faults must not make rounds wait for the timeout")
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

    /// Hosts for `ids` of an n-peer deployment on loopback; the others never start.
    func deployment(n: Int, t: Int, live: [Int], group: MultiThreadedEventLoopGroup) throws
        -> (Deployment, [TCPHost], [HostPort?])
    {
        let d = try Deployment(n: n, t: t)
        var hosts: [TCPHost] = []
        var addresses = [HostPort?](repeating: nil, count: n)
        for i in live {
            let h = TCPHost(id: i, n: n, group: group)
            addresses[i] = HostPort(host: "127.0.0.1", port: try h.listen(on: HostPort(host: "127.0.0.1", port: 0)))
            hosts.append(h)
        }
        // A peer that never starts: an address where nobody listens.
        for i in 0..<n where addresses[i] == nil { addresses[i] = HostPort(host: "127.0.0.1", port: try freePort()) }
        return (d, hosts, addresses)
    }

    func freePort() throws -> Int {
        let h = TCPHost(id: 0, n: 1, group: MultiThreadedEventLoopGroup.singleton)
        let p = try h.listen(on: HostPort(host: "127.0.0.1", port: 0))
        h.shutdown()
        return p
    }

    func runAll(_ d: Deployment, _ hosts: [TCPHost], inputs: [Int], session: UInt64, plan: AdversaryPlan = .none, roundTimeout: Double = 0.5) throws -> RunTrace {
        let modules = try d.modules()
        let logs = LogsBox(n: d.model.n)
        let group = DispatchGroup()
        for h in hosts {
            group.enter()
            let client = UncheckedBox(ModuleClient(modules[h.id]))
            let instance = d.model.codec.instanceName
            let rounds = d.model.rounds
            Thread.detachNewThread {
                var lat: [Double] = []
                let log = h.runSession(
                    client: client.value, instance: instance, session: SessionID(session), input: inputs[h.id],
                    rounds: rounds, plan: plan, roundTimeout: roundTimeout, latencies: &lat)
                logs.set(h.id, log)
                group.leave()
            }
        }
        group.wait()
        return RunTrace(
            protocolName: "uic", variant: "standard", n: d.model.n, t: d.model.t, rounds: d.model.rounds,
            instance: d.model.codec.instanceName, session: SessionID(session), inputs: inputs, adversary: plan,
            logs: logs.logs)
    }

    @Test("a peer that never connects is an omitting process: the others decide, the oracle agrees")
    func neverConnects() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let (d, hosts, addresses) = try deployment(n: 4, t: 1, live: [0, 1, 2], group: group)
        defer { for h in hosts { h.shutdown() } }
        let deadline = Date().addingTimeInterval(0.5)
        for h in hosts {
            let got = h.connect(to: addresses, deadline: deadline)
            #expect(!got.contains(3))
        }
        for h in hosts { _ = h.waitForInbound(ProcessSet([0, 1, 2]).subtracting(ProcessSet([h.id])), deadline: deadline) }
        let started = Date()
        // A long round timeout: waiting for the absent peer even once would show.
        let trace = try runAll(d, hosts, inputs: [5, 6, 7, 8], session: 1, roundTimeout: 10)
        #expect(Date().timeIntervalSince(started) < 10)
        let report = try d.oracle().check(trace)
        #expect(report.verdict == .conforms, "\(report.notes)")
        #expect(report.violations.isEmpty)
        #expect(report.realized.crashes == [Crash(process: 3, round: 1)])
        for i in 0..<3 { #expect(trace.logs[i]?.decision?.value == [5, 6, 7, Concrete.bottomValue]) }
    }

    @Test("garbage on a socket closes that connection only; the run goes on and conforms")
    func garbageOnSocket() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let (d, hosts, addresses) = try deployment(n: 3, t: 1, live: [0, 1, 2], group: group)
        defer { for h in hosts { h.shutdown() } }
        // Before the peers connect: garbage, an oversized length, a frame before hello.
        for payload in [[UInt8](repeating: 0xAB, count: 64), [0xFF, 0xFF, 0xFF, 0xFF, 1], [0, 0, 0, 15, 2] + [UInt8](repeating: 0, count: 14)] {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(addresses[1]!.port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(ok == 0)
            _ = payload.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        let deadline = Date().addingTimeInterval(5)
        for h in hosts { #expect(h.connect(to: addresses, deadline: deadline).count == 2) }
        for h in hosts { _ = h.waitForInbound(ProcessSet.all(3).subtracting(ProcessSet([h.id])), deadline: deadline) }
        let trace = try runAll(d, hosts, inputs: [1, 2, 3], session: 2)
        let report = try d.oracle().check(trace)
        #expect(report.verdict == .conforms)
        #expect(report.realized == FailurePattern())
        Thread.sleep(forTimeInterval: 0.1)
        #expect(hosts[1].takeNotes().count >= 2)
    }

    @Test("a host reconnects to a peer that came up late; frames lost meanwhile are omissions")
    func reconnects() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let (d, early, addresses) = try deployment(n: 3, t: 1, live: [0, 1], group: group)
        // p2 comes up after p0 and p1 gave up connecting to it.
        for h in early { #expect(!h.connect(to: addresses, deadline: Date().addingTimeInterval(0.2)).contains(2)) }
        let late = TCPHost(id: 2, n: 3, group: group)
        _ = try late.listen(on: addresses[2]!)
        #expect(late.connect(to: addresses, deadline: Date().addingTimeInterval(2)).count == 2)
        let hosts = early + [late]
        defer { for h in hosts { h.shutdown() } }
        for h in hosts { _ = h.waitForInbound(ProcessSet.all(3).subtracting(ProcessSet([h.id])), deadline: Date().addingTimeInterval(2)) }
        // First instance: p0's and p1's frames to p2 start the reconnection
        // and are lost: between correct processes, a finding outside the model.
        let first = try runAll(d, hosts, inputs: [1, 2, 3], session: 10)
        let r1 = try d.oracle().check(first)
        #expect(r1.verdict == .outsideModel)
        #expect(r1.lostFrames.contains(Link(round: 1, from: 0, to: 2)))
        // Once reconnected, nothing is lost.
        var clean = false
        for k in 0..<20 where !clean {
            Thread.sleep(forTimeInterval: 0.05)
            let r = try d.oracle().check(try runAll(d, hosts, inputs: [1, 2, 3], session: UInt64(11 + k)))
            #expect(r.verdict != .disagrees)
            clean = r.verdict == .conforms && r.realized == FailurePattern()
        }
        #expect(clean, "the hosts never reconnected to p2")
    }

    @Test("listening on a port in use is a clear error")
    func portInUse() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let a = TCPHost(id: 0, n: 2, group: group)
        let port = try a.listen(on: HostPort(host: "127.0.0.1", port: 0))
        defer { a.shutdown() }
        let b = TCPHost(id: 1, n: 2, group: group)
        #expect(throws: PalsError.self) { try b.listen(on: HostPort(host: "127.0.0.1", port: port)) }
    }
}

final class LogsBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var logs: [PeerLog?]
    init(n: Int) { logs = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ l: PeerLog) {
        lock.lock()
        logs[i] = l
        lock.unlock()
    }
}

final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
