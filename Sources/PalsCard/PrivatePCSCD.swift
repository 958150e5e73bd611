import Foundation
import PalsCore

#if canImport(Glibc)
    import Glibc
#endif

/// A pcscd of our own with one vpcd reader, isolated from any pcscd of the
/// system: it runs in a private mount namespace (`unshare`) in which its
/// fixed socket folder /run/pcscd is a temporary folder of ours, and reads
/// a generated reader configuration. Clients reach it by setting
/// PCSCLITE_CSOCK_NAME to `socketPath` before their first PC/SC call.
///
/// One pcscd serves one vpcd reader: the vpcd driver keeps its connections
/// by slot number alone, so two vpcd readers in one pcscd share them. The
/// reader has two slots on two consecutive ports; the card of slot 0
/// connects to `port`, and PC/SC clients see it as `readerName`. n cards
/// take n daemons (`start(count:…)`).
///
/// pcscd never outlives this process: the script that starts it reads a
/// pipe whose write end only this process holds, and ends pcscd when that
/// pipe closes — at `stop()`, or when this process ends however it ends
/// (a signal, SIGKILL included).
public final class PrivatePCSCD {
    /// Where Debian installs vsmartcard's vpcd driver.
    public static let driver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
    /// The environment variable through which libpcsclite finds pcscd's socket.
    public static let socketVariable = "PCSCLITE_CSOCK_NAME"

    /// The folder of this daemon's reader configuration (`reader.conf.d`) and
    /// its log (`pcscd.log`).
    public let directory: String
    /// pcscd's socket, in a temporary folder under /tmp: a client sets
    /// `socketVariable` to it before its first PC/SC call.
    public let socketPath: String
    /// The reader's port for the card (slot 0).
    public let port: Int
    /// The name PC/SC clients see for slot 0.
    public let readerName: String
    private let runDirectory: String
    private let process: Process
    /// The write end of the pipe whose closing ends pcscd.
    private var lifeline: FileHandle?
    private var stopped = false

    /// What is missing on this machine for a private pcscd with vpcd
    /// readers (nil: nothing).
    public static func missingPackages() -> String? {
        var missing: [String] = []
        if findExecutable("pcscd", in: ["/usr/sbin", "/usr/bin", "/sbin"]) == nil { missing.append("pcscd") }
        if !FileManager.default.fileExists(atPath: driver) { missing.append("vsmartcard-vpcd") }
        if findExecutable("unshare", in: ["/usr/bin", "/bin"]) == nil { missing.append("util-linux (unshare)") }
        return missing.isEmpty ? nil : missing.joined(separator: ", ")
    }

    /// The first executable `name` found in the folders of `PATH`, then in
    /// `dirs`; nil when there is none.
    public static func findExecutable(_ name: String, in dirs: [String]) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for d in path + dirs {
            let p = (d as NSString).appendingPathComponent(name)
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    /// Starts `count` daemons, the i-th in `directory`/pcscd-i with a reader
    /// named "\(name) i"; stops those started when one fails.
    public static func start(count: Int, name: String = "TrustedPals card", directory: String, timeout: Double = 10)
        throws(PalsError) -> [PrivatePCSCD]
    {
        guard count >= 1 && count <= 64 else {
            throw PalsError(.invalidArgument, "1…64 virtual readers, asked for \(count)")
        }
        let ports = try freePortPairs(count)
        var started: [PrivatePCSCD] = []
        for i in 0..<count {
            do {
                started.append(
                    try PrivatePCSCD(
                        port: ports[i], name: "\(name) \(i)",
                        directory: (directory as NSString).appendingPathComponent("pcscd-\(i)"),
                        timeout: timeout))
            } catch {
                for d in started { d.stop() }
                throw error
            }
        }
        return started
    }

    /// Starts pcscd with one vpcd reader named `name` on `port` (and
    /// `port` + 1); waits (up to `timeout` seconds) until its socket exists
    /// and the reader's port listens.
    public init(port: Int, name: String = "TrustedPals card", directory: String, timeout: Double = 10) throws(PalsError)
    {
        guard Self.missingPackages() == nil,
            let pcscd = Self.findExecutable("pcscd", in: ["/usr/sbin", "/usr/bin", "/sbin"]),
            let unshare = Self.findExecutable("unshare", in: ["/usr/bin", "/bin"])
        else {
            throw PalsError(
                .invalidArgument,
                "a virtual card reader needs \(Self.missingPackages() ?? "pcscd") (Debian: apt-get install pcscd vsmartcard-vpcd)"
            )
        }
        self.directory = directory
        // A socket path must be short (108 bytes): its folder is in /tmp.
        var template = Array("/tmp/pals-pcscd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PalsError(.invalidArgument, "cannot create a folder in /tmp: \(String(cString: strerror(errno)))")
        }
        let run = String(cString: made)
        runDirectory = run
        let conf = (directory as NSString).appendingPathComponent("reader.conf.d")
        do {
            try FileManager.default.createDirectory(atPath: conf, withIntermediateDirectories: true)
        } catch {
            rmdir(run)
            throw PalsError(.invalidArgument, "cannot create \(directory): \(error.localizedDescription)")
        }
        socketPath = (run as NSString).appendingPathComponent("pcscd.comm")
        self.port = port
        readerName = "\(name) 00 00"
        let text = "FRIENDLYNAME \"\(name)\"\nDEVICENAME /dev/null:\(port)\nLIBPATH \(Self.driver)\nCHANNELID \(port)\n"
        guard
            FileManager.default.createFile(
                atPath: (conf as NSString).appendingPathComponent("vpcd"), contents: Data(text.utf8))
        else {
            rmdir(run)
            throw PalsError(.invalidArgument, "cannot write the reader configuration into \(conf)")
        }
        // In the namespace: /run/pcscd is our folder (made first if the
        // system has none; without the right to, /run itself is replaced).
        let script = """
            set -e
            if [ ! -d /run/pcscd ] && ! mkdir -p /run/pcscd 2>/dev/null; then
              mount -t tmpfs none /run && mkdir /run/pcscd
            fi
            mount --bind "$1" /run/pcscd
            exec 4<&0
            "$2" --foreground --auto-exit --config "$3" </dev/null &
            p=$!
            { cat <&4 >/dev/null; kill -TERM "$p" 2>/dev/null; } &
            exec 4<&-
            wait "$p"
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: unshare)
        let namespaceFlags = getuid() == 0 ? ["--mount"] : ["--map-root-user", "--mount"]
        process.arguments = namespaceFlags + ["--propagation", "private", "sh", "-c", script, "sh", run, pcscd, conf]
        let logPath = (directory as NSString).appendingPathComponent("pcscd.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = log
        process.standardError = log
        let pipe = Pipe()
        // No other child may inherit the write end: its closing is the signal.
        _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        process.standardInput = pipe
        do {
            try process.run()
        } catch {
            rmdir(run)
            throw PalsError(.invalidArgument, "cannot start pcscd: \(error.localizedDescription)")
        }
        try? pipe.fileHandleForReading.close()
        lifeline = pipe.fileHandleForWriting
        try? log?.close()
        let deadline = Date().addingTimeInterval(timeout)
        while !(FileManager.default.fileExists(atPath: socketPath) && Self.listening(port)) {
            guard process.isRunning else {
                stop()
                let tail =
                    (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(
                        separator: " | ") ?? ""
                throw PalsError(
                    .invalidArgument, "pcscd exited at start (status \(process.terminationStatus)): \(tail)")
            }
            guard Date() < deadline else {
                stop()
                throw PalsError(.invalidArgument, "pcscd did not offer its virtual reader within \(timeout) s")
            }
            usleep(20_000)
        }
    }

    deinit { stop() }

    /// Stops pcscd (its lifeline closed, which sends it SIGTERM; SIGKILL
    /// after 3 s) and waits for it.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        try? lifeline?.close()
        lifeline = nil
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            // pcscd writes its pid into the folder that is /run/pcscd for it.
            let pidFile = (runDirectory as NSString).appendingPathComponent("pcscd.pid")
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1
            {
                kill(pid, SIGKILL)
            }
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        // pcscd removes its socket and pid file; whatever is left goes.
        for f in (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? [] {
            unlink((runDirectory as NSString).appendingPathComponent(f))
        }
        rmdir(runDirectory)
    }

    /// Whether something listens on 127.0.0.1:`port`.
    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        // Probing with a connection would take the reader's one card
        // slot; a failing bind to the wildcard address shows the listener.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        a.sin_addr.s_addr = 0
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc != 0
    }

    /// `count` pairs of consecutive free TCP ports (p, p + 1), as the
    /// kernel hands out ephemeral ones.
    public static func freePortPairs(_ count: Int) throws(PalsError) -> [Int] {
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts < 200 else {
                throw PalsError(.invalidArgument, "cannot find \(count) pairs of free TCP ports")
            }
            guard let (fd, p) = bindPort(0) else { continue }
            held.append(fd)
            guard p < 65535, let (fd2, _) = bindPort(p + 1) else { continue }
            held.append(fd2)
            ports.append(p)
        }
        return ports
    }

    private static func bindPort(_ port: Int) -> (Int32, Int)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = 0
        let rc = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            return nil
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: a.sin_port)))
    }
}
