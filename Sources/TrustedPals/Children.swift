import Foundation
import PalsCore

#if canImport(Glibc)
    import Glibc
#endif

/// The child processes of one command (`pals peer` processes of a cluster
/// or a process campaign). Each child runs in a process group of its own and
/// is ended with that group (its own children included). A child never
/// outlives its parent: it inherits the read end of a pipe whose write end
/// only the parent holds, and ends its group when that pipe closes
/// (`watchParent`), however the parent ended. A pid is signalled only while
/// its child is unreaped, so a signal never reaches a reused pid.
public final class ChildProcesses: @unchecked Sendable {
    private let lock = NSLock()
    private var pids: [pid_t] = []
    private var statuses: [Int32?] = []
    private var lifeline: (read: Int32, write: Int32)?
    private var stopped = false

    /// The environment variable naming the lifeline's descriptor in a child.
    public static let lifelineVariable = "PALS_PARENT_LIFELINE"
    /// The descriptor number at which a child inherits the lifeline's read end.
    public static let lifelineDescriptor: Int32 = 3

    /// Opens the lifeline pipe; no child runs yet.
    /// - Throws: `PalsError` when the pipe cannot be created.
    public init() throws(PalsError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else {
            throw PalsError(.invalidArgument, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        lifeline = (fds[0], fds[1])
    }

    deinit {
        if let l = lifeline {
            close(l.read)
            close(l.write)
        }
    }

    /// Starts `executable` with `arguments` (and `extra` variables in its
    /// environment); stdout goes to /dev/null,
    /// stderr is this process's. Returns the child's index.
    @discardableResult
    public func spawn(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:])
        throws(PalsError) -> Int
    {
        guard let l = lifeline else { throw PalsError(.invalidArgument, "the children were already ended") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, l.read, Self.lifelineDescriptor)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var environment = ProcessInfo.processInfo.environment
        environment[Self.lifelineVariable] = "\(Self.lifelineDescriptor)"
        environment.merge(extra) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { throw PalsError(.invalidArgument, "interrupted") }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw PalsError(.invalidArgument, "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pids.append(pid)
        statuses.append(nil)
        return pids.count - 1
    }

    /// The number of children started so far, running or reaped; indices run 0..<count.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return pids.count
    }

    /// Reaps every child that has exited.
    public func poll() {
        lock.lock()
        defer { lock.unlock() }
        for k in pids.indices where statuses[k] == nil {
            var status: Int32 = 0
            if waitpid(pids[k], &status, WNOHANG) == pids[k] { statuses[k] = status }
        }
    }

    /// Whether child `k` is still running (not yet reaped).
    public func isRunning(_ k: Int) -> Bool {
        poll()
        lock.lock()
        defer { lock.unlock() }
        return statuses[k] == nil
    }

    /// The exit status of child `k`: its code, 128 + signal, or nil while
    /// it runs.
    public func exitStatus(_ k: Int) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        guard let s = statuses[k] else { return nil }
        return s & 0x7f == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }

    /// Sends `signal` to child `k`'s group if the child has not been
    /// reaped; returns whether it was sent.
    @discardableResult
    public func signal(_ k: Int, _ signal: Int32) -> Bool {
        poll()
        lock.lock()
        defer { lock.unlock() }
        guard statuses[k] == nil else { return false }
        return kill(-pids[k], signal) == 0 || kill(pids[k], signal) == 0
    }

    /// Waits until every child (or every child in `only`) has exited or
    /// `deadline` passes; returns whether all exited.
    public func waitAll(_ only: [Int]? = nil, until deadline: Date) -> Bool {
        while Date() < deadline {
            poll()
            lock.lock()
            let done = (only ?? Array(statuses.indices)).allSatisfy { statuses[$0] != nil }
            lock.unlock()
            if done { return true }
            usleep(2000)
        }
        poll()
        lock.lock()
        defer { lock.unlock() }
        return (only ?? Array(statuses.indices)).allSatisfy { statuses[$0] != nil }
    }

    /// Ends every child and refuses to start more.
    public func interrupt() {
        lock.lock()
        stopped = true
        lock.unlock()
        endAll()
    }

    /// Ends every child still running (SIGKILL to its group) and reaps it.
    public func endAll() {
        lock.lock()
        let live = pids.indices.filter { statuses[$0] == nil }
        for k in live {
            if kill(-pids[k], SIGKILL) != 0 { kill(pids[k], SIGKILL) }
        }
        for k in live {
            var status: Int32 = 0
            while waitpid(pids[k], &status, 0) < 0 && errno == EINTR {}
            statuses[k] = status
        }
        lock.unlock()
    }

    /// In a child started by `ChildProcesses`: ends this process's group
    /// as soon as the parent is gone (the lifeline pipe closes). Does
    /// nothing in a process started otherwise.
    public static func watchParent() {
        guard let v = ProcessInfo.processInfo.environment[lifelineVariable], let fd = Int32(v) else { return }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return }
        Thread.detachNewThread {
            var byte: UInt8 = 0
            while true {
                let k = read(fd, &byte, 1)
                if k < 0 && errno == EINTR { continue }
                if k <= 0 { break }
            }
            // The parent is gone: end this process and its own children.
            kill(0, SIGKILL)
            _exit(137)
        }
    }
}

/// On SIGINT or SIGTERM: ends the children at once and marks the command
/// interrupted; the command then stops, removes what it must (its deferred
/// clean-up runs) and exits with 128 + the signal (`check`). Processes
/// registered with `register` (a backend's process group) are ended too.
public final class InterruptCleanup: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []
    private var groups: [pid_t] = []
    private var signalled: Int32?

    /// Takes over SIGINT and SIGTERM: each ends `children` and every registered group, and marks the command
    /// interrupted.
    /// - Parameter exitOnSignal: exit at once after ending the processes
    ///   (for a command blocked on a child's answer) instead of letting the
    ///   command stop through `check`.
    public init(children: ChildProcesses? = nil, exitOnSignal: Bool = false) {
        for s in [SIGINT, SIGTERM] {
            Glibc.signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                if signalled == nil { signalled = s }
                let g = groups
                lock.unlock()
                children?.interrupt()
                for pid in g where pid > 0 { kill(-pid, SIGKILL) }
                if exitOnSignal { Glibc.exit(128 + s) }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Ends this process group (or process) too on a signal.
    public func register(group pid: pid_t) {
        lock.lock()
        groups.append(pid)
        lock.unlock()
    }

    /// Whether SIGINT or SIGTERM has arrived.
    public var interrupted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return signalled != nil
    }

    /// Throws the exit status of an interrupted command.
    public func check() throws {
        lock.lock()
        let s = signalled
        lock.unlock()
        if let s { throw ExitStatus(128 + s) }
    }

    /// Restores the default handling.
    public func cancel() {
        for s in sources { s.cancel() }
        sources = []
        Glibc.signal(SIGINT, SIG_DFL)
        Glibc.signal(SIGTERM, SIG_DFL)
    }
}
