import Foundation
import Testing

/// Runs the built `limitless` binary in its own temporary `LIMITLESS_HOME`.
/// `make test` sets `LIMITLESS_BIN`; otherwise the debug build beside the package is used.
final class Harness {
    let home: String
    static let binary: String = {
        if let b = ProcessInfo.processInfo.environment["LIMITLESS_BIN"], !b.isEmpty { return b }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/limitless").path
    }()

    init() throws {
        home = NSTemporaryDirectory() + "limitless-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    }

    deinit {
        for path in [home, home + ".stdout", home + ".stderr", home + ".stdin"] {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    struct Result {
        var stdout: String
        var stderr: String
        var status: Int32
    }

    /// Runs `limitless ARGS`, feeding `stdin` if given, with extra environment variables.
    @discardableResult
    func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Harness.binary)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["LIMITLESS_HOME"] = home
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        // Output goes to files, so a large output can never fill a pipe and stall the child.
        let outPath = home + ".stdout", errPath = home + ".stderr", inPath = home + ".stdin"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        FileManager.default.createFile(atPath: inPath, contents: Data((stdin ?? "").utf8))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        p.waitUntilExit()
        try out.close(); try err.close(); try input.close()
        let outData = FileManager.default.contents(atPath: outPath) ?? Data()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self),
                      status: p.terminationStatus)
    }
}

@Suite struct BinarySmokeTests {
    @Test func versionPrintsAndExitsZero() throws {
        let h = try Harness()
        let r = try h.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("limitless "))
        #expect(r.stderr == "")
    }
}
