import Foundation
import PalsCore
import PalsModule
import PalsRuntime
import Testing

@Suite("A module behind a pipe that misbehaves", .timeLimit(.minutes(10)))
struct PipeModuleTests {
    @Test("a module process that echoes garbage is an error, not a crash")
    func garbage() throws {
        let link = try PipeModule(executable: "/bin/cat", arguments: [], timeout: 2)
        let client = ModuleClient(link)
        #expect(throws: ModuleError.self) { try client.begin(session: SessionID(1), input: 1, instance: "x") }
    }

    @Test("a module process that never answers times out")
    func hang() throws {
        let link = try PipeModule(executable: "/bin/sleep", arguments: ["30"], timeout: 0.3)
        let started = Date()
        #expect(throws: ModuleError.self) { try link.transmit(CommandAPDU(.result).bytes) }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("a module process that exits is an error")
    func exits() throws {
        // Whether it has exited before the command is written (a broken
        // pipe) or after (end of file on the answer), the call fails.
        let link = try PipeModule(executable: "/bin/true", arguments: [], timeout: 2)
        #expect(throws: ModuleError.self) { try link.transmit(CommandAPDU(.result).bytes) }
    }

    @Test("writing to a pipe nobody reads is an error, not a SIGPIPE that kills the host")
    func brokenPipe() throws {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let fd = pipe.fileHandleForWriting.fileDescriptor
        #expect(throws: ModuleError.self) { try APDUStream.write(CommandAPDU(.result).bytes, to: fd) }
        // The process is still here and the next write fails the same way.
        #expect(throws: ModuleError.self) { try APDUStream.write([1, 2, 3], to: fd) }
    }

    @Test("a missing module executable is an error")
    func missing() {
        #expect(throws: ModuleError.self) { _ = try PipeModule(executable: "/nonexistent/pals", arguments: []) }
    }
}
