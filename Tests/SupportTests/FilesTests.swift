import Testing
import LimitlessSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct FilesTests {
    @Test func atomicWriteReplacesContentAndSetsMode() throws {
        var template = Array("/tmp/limitless-files-XXXXXX".utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { try? Files.removeTree(dir) }
        let path = Files.join(dir, "a/b/meta.json")
        try Files.makeDirectories(Files.parent(path))
        try Files.writeAtomically(path, "one")
        try Files.writeAtomically(path, "two")
        #expect(try Files.readText(path) == "two")
        var st = stat()
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        stat(Files.join(dir, "a"), &st)
        #expect(st.st_mode & 0o777 == 0o700)
        #expect(try Files.list(Files.parent(path)) == ["meta.json"])
    }
}
