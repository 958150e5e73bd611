import Foundation
import PalsCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A backend that misbehaved: it answered garbage, an error, the wrong number
/// of messages, nothing within the timeout, or exited. The oracle reports it
/// (exit status 3) with the request that broke it and the backend's stderr.
public struct BackendError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words.
    public var message: String
    /// The request line the backend was answering, if any.
    public var request: String?
    /// The backend's standard error so far (the last 16 KiB at most).
    public var stderr: String

    /// An error with its message, the request being answered and the backend's stderr.
    public init(_ message: String, request: String? = nil, stderr: String = "") {
        self.message = message
        self.request = request
        self.stderr = stderr
    }

    /// The message, the request and the backend's stderr (indented), one per line.
    public var description: String {
        var s = "backend error: \(message)"
        if let request { s += "\n  request: \(request)" }
        let err = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        s +=
            err.isEmpty
            ? "\n  backend stderr: (empty)"
            : "\n  backend stderr:\n"
                + err.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(
                    separator: "\n")
        return s
    }
}

/// One running backend, started once with `/bin/sh -c COMMAND`, spoken to
/// one JSON line per request and one reply line per request, in order
/// (DESIGN §6).
///
/// Every read has a deadline (`poll` on the backend's stdout), so a backend
/// that hangs costs at most `timeout` seconds and never hangs the oracle.
/// Standard error is drained whenever the oracle waits, and kept (its last
/// 16 KiB) for the report. Writing to a backend that has exited is an error,
/// not a `SIGPIPE`.
public final class BackendConnection {
    /// The command as given by the user.
    public let command: String
    /// Seconds to wait for each reply.
    public let timeout: Double

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private var outBuffer: [UInt8] = []
    private var errBuffer: [UInt8] = []
    private var errOpen = true
    private var closed = false
    /// Set once the backend has misbehaved; later requests fail at once.
    private var broken: BackendError?
    private var nonBlocking = false
    private var readBuffer = [UInt8](repeating: 0, count: 65536)
    /// The last request line sent, for reports.
    public private(set) var lastRequest: String?

    /// The most stderr bytes kept for the report.
    static let stderrLimit = 16 * 1024
    /// The longest reply line accepted.
    static let lineLimit = 64 * 1024 * 1024

    /// The backend's process id, the leader of its process group (0 before
    /// it starts).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Starts the backend.
    public init(command: String, timeout: Double) throws(BackendError) {
        self.command = command
        self.timeout = timeout
        signal(SIGPIPE, SIG_IGN)
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw BackendError("cannot start the backend `\(command)`: \(error.localizedDescription)")
        }
        // The child has its own copies; the oracle keeps only its ends, so
        // that the backend's exit shows as end of file.
        try? input.fileHandleForReading.close()
        try? output.fileHandleForWriting.close()
        try? errors.fileHandleForWriting.close()
    }

    deinit { close() }

    /// The backend's standard error so far.
    public var stderrText: String {
        drainErrors(waitMilliseconds: 0)
        return String(decoding: errBuffer, as: UTF8.self)
    }

    /// Sends `request` and returns the reply. An `{"error":…}` reply, a reply
    /// that is not a JSON object, a timeout or an exit is a `BackendError`
    /// naming the request.
    public func request(_ request: JSON) throws(BackendError) -> JSON {
        try requests([request])[0]
    }

    /// Sends `batch` and returns one reply per request, in order. Requests are
    /// pipelined — written while earlier replies are read, which the protocol
    /// allows (one reply per request, in order) and which saves a round trip
    /// per request. Each reply must arrive within `timeout` of the previous
    /// one; the error names the request whose reply failed.
    public func requests(_ batch: [JSON]) throws(BackendError) -> [JSON] {
        if let broken { throw broken }
        let lines = batch.map(\.compact)
        var replies: [JSON] = []
        replies.reserveCapacity(lines.count)
        do throws(BackendError) {
            var pending = Array((lines.joined(separator: "\n") + "\n").utf8)[...]
            var deadline = Date().addingTimeInterval(timeout)
            while replies.count < lines.count {
                lastRequest = lines[replies.count]
                if let line = takeLine() {
                    replies.append(try Self.parseReply(line))
                    deadline = Date().addingTimeInterval(timeout)
                    continue
                }
                guard outBuffer.count <= Self.lineLimit else {
                    throw BackendError("the reply line is longer than \(Self.lineLimit) bytes")
                }
                try wait(until: deadline, writing: &pending)
            }
        } catch {
            var e = error
            e.request = lastRequest
            e.stderr = stderrText
            broken = e
            throw e
        }
        return replies
    }

    /// Reads a reply line: a JSON object that is not `{"error":…}`.
    static func parseReply(_ line: String) throws(BackendError) -> JSON {
        let json: JSON
        do {
            json = try JSON.parse(line)
        } catch {
            throw BackendError("the reply is not JSON (\(error.message)): \(Self.excerpt(line))")
        }
        guard case .object = json else {
            throw BackendError("the reply is not a JSON object: \(Self.excerpt(line))")
        }
        if let e = json["error"] {
            throw BackendError("the backend answered an error: \(e.stringValue ?? e.compact)")
        }
        return json
    }

    /// The first complete line in the output buffer, if any.
    private func takeLine() -> String? {
        guard let nl = outBuffer.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var end = nl
        if end > outBuffer.startIndex && outBuffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = String(decoding: outBuffer[..<end], as: UTF8.self)
        outBuffer.removeSubrange(...nl)
        return line
    }

    /// The first 200 characters of `s`, for reports.
    static func excerpt(_ s: String) -> String {
        s.count <= 200 ? "\"\(s)\"" : "\"\(s.prefix(200))…\" (\(s.utf8.count) bytes)"
    }

    /// Waits (until `deadline`) for output, stderr, or room to write the rest
    /// of `pending`, and moves what it can: reads output into the buffer,
    /// stderr into its buffer, and writes to the backend's input (which is
    /// non-blocking, so a backend that stops reading cannot hang the oracle).
    private func wait(until deadline: Date, writing pending: inout ArraySlice<UInt8>) throws(BackendError) {
        let inFD = input.fileHandleForWriting.fileDescriptor
        let outFD = output.fileHandleForReading.fileDescriptor
        let errFD = errors.fileHandleForReading.fileDescriptor
        if !nonBlocking {
            _ = fcntl(inFD, F_SETFL, fcntl(inFD, F_GETFL) | O_NONBLOCK)
            nonBlocking = true
        }
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else {
            throw BackendError(
                pending.isEmpty
                    ? "no reply within \(Self.seconds(timeout)) s (the backend hangs or is too slow; see --timeout)"
                    : "the backend did not read its input within \(Self.seconds(timeout)) s (it hangs; see --timeout)")
        }
        var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)]
        fds.append(pollfd(fd: errOpen ? errFD : -1, events: Int16(POLLIN), revents: 0))
        fds.append(pollfd(fd: pending.isEmpty ? -1 : inFD, events: Int16(POLLOUT), revents: 0))
        let ready = poll(&fds, nfds_t(fds.count), Int32(min(max(remaining * 1000, 1), 60_000)))
        if ready < 0 {
            if errno == EINTR { return }
            throw BackendError("cannot wait for the backend (poll failed, errno \(errno))")
        }
        if fds[2].revents != 0 && !pending.isEmpty {
            let written = pending.withUnsafeBytes { sysWrite(inFD, $0.baseAddress, $0.count) }
            if written > 0 {
                pending = pending.dropFirst(written)
            } else if written < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK {
                throw BackendError("cannot write the request: the backend closed its input\(exitNote())")
            }
        }
        if fds[1].revents != 0 { readErrors(errFD) }
        if fds[0].revents != 0 {
            let got = readBuffer.withUnsafeMutableBytes { sysRead(outFD, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR || errno == EAGAIN { return }
                throw BackendError("cannot read the reply (errno \(errno))")
            }
            if got == 0 {
                let partial =
                    outBuffer.isEmpty
                    ? "" : "; unterminated output: \(Self.excerpt(String(decoding: outBuffer, as: UTF8.self)))"
                throw BackendError("the backend closed its output without replying\(exitNote())\(partial)")
            }
            outBuffer.append(contentsOf: readBuffer[..<got])
        }
    }

    /// Reads what is available on stderr, keeping the last `stderrLimit` bytes.
    private func readErrors(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let got = chunk.withUnsafeMutableBytes { sysRead(fd, $0.baseAddress, $0.count) }
        if got <= 0 {
            if got == 0 || (errno != EINTR && errno != EAGAIN) { errOpen = false }
            return
        }
        errBuffer.append(contentsOf: chunk[..<got])
        if errBuffer.count > Self.stderrLimit { errBuffer.removeFirst(errBuffer.count - Self.stderrLimit) }
    }

    /// Reads stderr until nothing more arrives within `waitMilliseconds`.
    private func drainErrors(waitMilliseconds: Int32) {
        let fd = errors.fileHandleForReading.fileDescriptor
        while errOpen && !closed {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, waitMilliseconds) > 0, fds[0].revents != 0 else { return }
            readErrors(fd)
        }
    }

    /// " (exit status S)" once the backend has exited (waiting up to 0.5 s), else "".
    private func exitNote() -> String {
        let deadline = Date().addingTimeInterval(0.5)
        while process.isRunning && Date() < deadline { usleep(5000) }
        drainErrors(waitMilliseconds: 50)
        guard !process.isRunning else { return "" }
        switch process.terminationReason {
        case .exit: return " (it exited with status \(process.terminationStatus))"
        case .uncaughtSignal: return " (it was killed by signal \(process.terminationStatus))"
        @unknown default: return " (it exited)"
        }
    }

    /// Closes the backend's input and gives it 0.2 s to exit; then its whole
    /// process group (the shell and whatever it started) is killed, so no
    /// hung backend outlives the oracle.
    public func close() {
        guard !closed else { return }
        drainErrors(waitMilliseconds: 0)
        closed = true
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(0.2)
        while process.isRunning && Date() < deadline { usleep(1000) }
        // `Process` starts the shell as the leader of a new process group.
        let pid = process.processIdentifier
        if pid > 0 && getpgid(pid) == pid { kill(-pid, SIGKILL) }
        if process.isRunning { kill(pid, SIGKILL) }
        let killDeadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < killDeadline { usleep(1000) }
        try? output.fileHandleForReading.close()
        try? errors.fileHandleForReading.close()
    }

    static func seconds(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(x)
    }
}

/// `write(2)` and `read(2)` under names that do not clash with methods.
@inline(__always)
private func sysWrite(_ fd: Int32, _ buf: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buf, count)
}

@inline(__always)
private func sysRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buf, count)
}
