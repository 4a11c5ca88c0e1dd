import Foundation
import Testing

@testable import LimitlessCLI

/// The completion scripts under completions/ and the man pages under man/ are generated from the
/// command table and committed. These tests regenerate them and compare byte for byte, so the
/// files cannot drift from the parser; `LIMITLESS_RECORD=1 swift test --filter Generated`
/// rewrites them on purpose (review the diff, then commit).
@Suite struct GeneratedFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static var recording: Bool { ProcessInfo.processInfo.environment["LIMITLESS_RECORD"] == "1" }

    static func check(folder: String, _ files: [(name: String, text: String)]) throws {
        let dir = root.appendingPathComponent(folder)
        if recording {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for f in files { try Data(f.text.utf8).write(to: dir.appendingPathComponent(f.name)) }
        }
        for f in files {
            let path = dir.appendingPathComponent(f.name).path
            let committed = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            #expect(committed == f.text, "\(folder)/\(f.name) differs from what the command table generates; run LIMITLESS_RECORD=1 swift test --filter Generated")
        }
        // No stale files from commands that no longer exist.
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(present == Set(files.map(\.name)), "\(folder)/ holds files the generator does not make")
    }

    @Test func completionScriptsAreUpToDate() throws {
        try Self.check(folder: "completions", CompletionScripts.all())
    }

    @Test func manPagesAreUpToDate() throws {
        try Self.check(folder: "man", ManPages.all())
    }
}
