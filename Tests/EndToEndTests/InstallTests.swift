import Foundation
import Testing

/// `make install` / `make uninstall` into a temporary DESTDIR, with the binary under test
/// (INSTALL_BIN) so no release build is needed.
@Suite struct InstallTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func make(_ args: [String]) throws -> (out: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["make", "-s", "-C", root.path] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), p.terminationStatus)
    }

    static func files(under dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let path = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + path, isDirectory: &isDir), !isDir.boolValue { out.append(path) }
        }
        return out.sorted()
    }

    @Test func installsAndUninstalls() throws {
        let stage = NSTemporaryDirectory() + "limitless-install-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let installed = try Self.make(["install", "PREFIX=/usr/local", "DESTDIR=\(stage)", "INSTALL_BIN=\(Harness.binary)"])
        #expect(installed.status == 0, "\(installed.out)")

        let manPages = try FileManager.default.contentsOfDirectory(atPath: Self.root.path + "/man").filter { $0.hasSuffix(".1") }
        #expect(manPages.contains("limitless.1") && manPages.contains("limitless-sql.1")
                && manPages.contains("limitless-create-db-shard-group.1"))
        let expected = (["usr/local/bin/limitless",
                         "usr/local/share/bash-completion/completions/limitless",
                         "usr/local/share/zsh/site-functions/_limitless",
                         "usr/local/share/fish/vendor_completions.d/limitless.fish"]
                        + manPages.map { "usr/local/share/man/man1/" + $0 }).sorted()
        #expect(Self.files(under: stage) == expected)

        // Same bytes as the sources; the binary executable, the rest not.
        let pairs = [("completions/limitless.bash", "usr/local/share/bash-completion/completions/limitless"),
                     ("completions/_limitless", "usr/local/share/zsh/site-functions/_limitless"),
                     ("completions/limitless.fish", "usr/local/share/fish/vendor_completions.d/limitless.fish"),
                     ("man/limitless-sql.1", "usr/local/share/man/man1/limitless-sql.1")]
        for (src, dst) in pairs {
            #expect(FileManager.default.contentsEqual(atPath: Self.root.path + "/" + src, andPath: stage + "/" + dst), "\(dst)")
        }
        let bin = stage + "/usr/local/bin/limitless"
        #expect(FileManager.default.contentsEqual(atPath: Harness.binary, andPath: bin))
        let attrs = try FileManager.default.attributesOfItem(atPath: bin)
        #expect((attrs[.posixPermissions] as? Int) == 0o755)
        let page = try FileManager.default.attributesOfItem(atPath: stage + "/usr/local/share/man/man1/limitless.1")
        #expect((page[.posixPermissions] as? Int) == 0o644)

        let removed = try Self.make(["uninstall", "PREFIX=/usr/local", "DESTDIR=\(stage)"])
        #expect(removed.status == 0, "\(removed.out)")
        #expect(Self.files(under: stage) == [])
    }
}
