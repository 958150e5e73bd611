import Foundation
import PalsModule

#if canImport(Glibc)
    import Glibc
#endif

/// Set to ignore `SIGPIPE` for the whole process the first time it is read:
/// a write to a module that has exited must fail with `EPIPE`, which
/// `APDUStream.write` reports, instead of killing the writer. (A pipe has no
/// per-call `MSG_NOSIGNAL`; SwiftNIO ignores the signal the same way.)
private let sigpipeIgnored: Bool = {
    _ = signal(SIGPIPE, SIG_IGN)
    return true
}()

/// The APDU stream between a host and a module in another process: each APDU
/// is a 4-byte big-endian length then its bytes, on the module's stdin
/// (commands) and stdout (responses).
public enum APDUStream {
    /// The largest APDU either side accepts.
    public static let maxAPDU = 7 + CommandAPDU.maxData

    /// Reads one length-prefixed APDU from `fd`; nil at a clean end of stream.
    /// Throws on a truncated or oversized one, or when `timeout` (seconds)
    /// passes first.
    public static func read(from fd: Int32, timeout: Double?) throws(ModuleError) -> [UInt8]? {
        guard let header = try readExactly(4, from: fd, timeout: timeout, allowEOF: true) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= maxAPDU else { throw ModuleError("an APDU of \(length) bytes (at most \(maxAPDU))") }
        guard let body = try readExactly(length, from: fd, timeout: timeout, allowEOF: false) else {
            throw ModuleError("the APDU stream ended inside an APDU")
        }
        return body
    }

    /// Writes `apdu` to `fd` with its 4-byte length; retries when interrupted.
    ///
    /// - Throws: `ModuleError` when the write fails (the module exited, the pipe closed); the
    ///   process ignores `SIGPIPE` from the first call on, so a closed pipe is this error, not a signal.
    public static func write(_ apdu: [UInt8], to fd: Int32) throws(ModuleError) {
        _ = sigpipeIgnored
        var out: [UInt8] = []
        Bytes.append(UInt32(apdu.count), to: &out)
        out.append(contentsOf: apdu)
        var offset = 0
        while offset < out.count {
            let n = out[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ModuleError("writing to the module failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private static func readExactly(_ count: Int, from fd: Int32, timeout: Double?, allowEOF: Bool) throws(ModuleError)
        -> [UInt8]?
    {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while got < count {
            if let deadline {
                let ms = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, ms)
                if r == 0 { throw ModuleError("the module did not answer within \(timeout ?? 0) s") }
                if r < 0 {
                    if errno == EINTR { continue }
                    throw ModuleError("poll failed: \(String(cString: strerror(errno)))")
                }
            }
            let n = out.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.read(fd, base + got, count - got)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ModuleError("reading from the module failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                if got == 0 && allowEOF { return nil }
                throw ModuleError("the module closed its end of the pipe")
            }
            got += n
        }
        return out
    }
}

/// A module in a child process (`pals module …`), driven over pipes.
public final class PipeModule: ModuleLink {
    private let process: Process
    private let toModule: Pipe
    private let fromModule: Pipe
    /// Seconds the module has to answer one command.
    public let timeout: Double

    /// Starts `executable arguments…`; the child's stderr is inherited.
    public init(executable: String, arguments: [String], timeout: Double = 10) throws(ModuleError) {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        toModule = Pipe()
        fromModule = Pipe()
        process.standardInput = toModule
        process.standardOutput = fromModule
        self.timeout = timeout
        do {
            try process.run()
        } catch {
            throw ModuleError("cannot start the module process \(executable): \(error.localizedDescription)")
        }
        // Keep only our ends, so that the module's exit shows as end of file.
        try? toModule.fileHandleForReading.close()
        try? fromModule.fileHandleForWriting.close()
    }

    /// Sends one command APDU to the child and reads its response.
    ///
    /// - Throws: `ModuleError` when the child has exited, closes its output, or does not answer within `timeout`.
    public func transmit(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        guard process.isRunning else { throw ModuleError("the module process has exited") }
        try APDUStream.write(command, to: toModule.fileHandleForWriting.fileDescriptor)
        guard let r = try APDUStream.read(from: fromModule.fileHandleForReading.fileDescriptor, timeout: timeout) else {
            throw ModuleError("the module process closed its output")
        }
        return r
    }

    deinit {
        try? toModule.fileHandleForWriting.close()
        // A module that does not stop at end of input is stopped.
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
