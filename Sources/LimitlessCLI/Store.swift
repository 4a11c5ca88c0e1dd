import LimitlessSupport
import LimitlessEngine
#if canImport(Glibc)
import Glibc
#endif

/// The control plane's files under `$LIMITLESS_HOME` (default `~/.limitless`):
///
///     .lock                              flock'ed around every read-modify-write
///     clusters/ID/cluster.json           the cluster: its aws DBCluster shape + private fields
///     clusters/ID/shard-group.json       its shard group (DBShardGroup shape + shard/router count)
///     clusters/ID/data/                  the shard group's storage, owned by the engine
///     snapshots/SNAPSHOT-ID/             final snapshots kept by delete-db-cluster
///
/// Folders are 0700, files 0600; every file is replaced atomically (write, fsync, rename).
struct Store {
    let home: String

    static let formatVersion: Int64 = 1

    var clustersDirectory: String { Files.join(home, "clusters") }
    var snapshotsDirectory: String { Files.join(home, "snapshots") }
    func clusterDirectory(_ id: String) -> String { Files.join(clustersDirectory, id) }
    func clusterFile(_ id: String) -> String { Files.join(clusterDirectory(id), "cluster.json") }
    func shardGroupFile(_ id: String) -> String { Files.join(clusterDirectory(id), "shard-group.json") }
    func dataDirectory(_ id: String) -> String { Files.join(clusterDirectory(id), "data") }

    /// Takes the metadata lock (exclusive for changes, shared for reads). When the home does not
    /// exist yet, only a command that may create something (create-db-cluster) makes it; the
    /// others take no lock and find nothing.
    func lock(exclusive: Bool, mayCreate: Bool = false) throws(CLIError) -> FileLock? {
        if !mayCreate && !Files.isDirectory(home) { return nil }
        do {
            try Files.makeDirectories(home)
            return try FileLock(path: Files.join(home, ".lock"), exclusive: exclusive)
        } catch {
            throw .other("limitless: cannot use \(home): \(error)")
        }
    }

    /// Identifiers of the clusters on disk, sorted.
    func clusterIDs() throws(CLIError) -> [String] {
        guard Files.isDirectory(clustersDirectory) else { return [] }
        do {
            return try Files.list(clustersDirectory).filter {
                Rules.isValidIdentifier($0) && Files.exists(clusterFile($0))
            }
        } catch { throw .other("limitless: cannot list \(clustersDirectory): \(error)") }
    }

    // MARK: - Records

    struct Cluster {
        /// The DBCluster structure as aws shows it (model member order).
        var dbCluster: JSON
        /// Request parameters with no place in the output shape (kept, never dropped).
        var settings: JSON
        /// `{"Algorithm": "pbkdf2-sha256", "Iterations": n, "Salt": hex, "Hash": hex}`; never the password.
        var password: JSON?
        var identifier: String { dbCluster["DBClusterIdentifier"]?.stringValue ?? "" }
    }

    struct ShardGroup {
        var dbShardGroup: JSON
        var shardCount: Int
        var routerCount: Int
        var identifier: String { dbShardGroup["DBShardGroupIdentifier"]?.stringValue ?? "" }
    }

    func damaged(_ path: String, _ why: String) -> CLIError {
        .other("limitless: the metadata file \(path) is damaged (\(why)); fix or remove it by hand")
    }

    func readObject(_ path: String) throws(CLIError) -> JSON? {
        guard Files.exists(path) else { return nil }
        let text: String
        do { text = try Files.readText(path) } catch { throw .other("limitless: cannot read \(path): \(error)") }
        let value: JSON
        do { value = try JSON.parse(text) } catch { throw damaged(path, "not valid JSON: \(error)") }
        guard case .object = value else { throw damaged(path, "not a JSON object") }
        guard value["FormatVersion"]?.intValue == Store.formatVersion else { throw damaged(path, "unknown FormatVersion") }
        return value
    }

    func loadCluster(_ id: String) throws(CLIError) -> Cluster? {
        let path = clusterFile(id)
        guard let obj = try readObject(path) else { return nil }
        guard let c = obj["DBCluster"], case .object = c else { throw damaged(path, "no DBCluster object") }
        var errors: [String] = []
        Parameters.check(c, CommandTable.dbClusterShape, path: "DBCluster", errors: &errors)
        if let e = errors.first { throw damaged(path, e) }
        guard c["DBClusterIdentifier"]?.stringValue == id else { throw damaged(path, "DBClusterIdentifier is not \(id)") }
        for key in ["Engine", "EngineVersion", "DBClusterArn", "Status"] where c[key]?.stringValue == nil {
            throw damaged(path, "DBCluster has no \(key)")
        }
        let settings = obj["Settings"] ?? .object([])
        guard case .object = settings else { throw damaged(path, "Settings is not an object") }
        return Cluster(dbCluster: c, settings: settings, password: obj["MasterUserPassword"])
    }

    func loadShardGroup(_ clusterID: String) throws(CLIError) -> ShardGroup? {
        let path = shardGroupFile(clusterID)
        guard let obj = try readObject(path) else { return nil }
        guard let g = obj["DBShardGroup"], case .object = g else { throw damaged(path, "no DBShardGroup object") }
        var errors: [String] = []
        Parameters.check(g, CommandTable.dbShardGroupShape, path: "DBShardGroup", errors: &errors)
        if let e = errors.first { throw damaged(path, e) }
        guard g["DBClusterIdentifier"]?.stringValue == clusterID else { throw damaged(path, "DBClusterIdentifier is not \(clusterID)") }
        guard let id = g["DBShardGroupIdentifier"]?.stringValue, Rules.isValidIdentifier(id) else {
            throw damaged(path, "bad DBShardGroupIdentifier")
        }
        guard g["MaxACU"]?.doubleValue != nil else { throw damaged(path, "no MaxACU") }
        guard let shards = obj["ShardCount"]?.intValue, let routers = obj["RouterCount"]?.intValue,
              (1...64).contains(shards), (1...64).contains(routers) else {
            throw damaged(path, "ShardCount/RouterCount missing or out of range")
        }
        return ShardGroup(dbShardGroup: g, shardCount: Int(shards), routerCount: Int(routers))
    }

    /// A cluster's shard group, after checking the cluster's own file too (a group whose
    /// cluster file is damaged is reported, not silently shown).
    func loadShardGroupOfValidCluster(_ clusterID: String) throws(CLIError) -> ShardGroup? {
        guard try loadCluster(clusterID) != nil else { return nil }
        return try loadShardGroup(clusterID)
    }

    /// Every shard group, with its cluster id.
    func allShardGroups() throws(CLIError) -> [ShardGroup] {
        var out: [ShardGroup] = []
        for id in try clusterIDs() { if let g = try loadShardGroupOfValidCluster(id) { out.append(g) } }
        return out
    }

    static func encode(_ c: Cluster) -> JSON {
        var obj: [(String, JSON)] = [("FormatVersion", .int(Store.formatVersion)), ("DBCluster", c.dbCluster), ("Settings", c.settings)]
        if let p = c.password { obj.append(("MasterUserPassword", p)) }
        return .object(obj)
    }

    func saveCluster(_ c: Cluster) throws(CLIError) {
        try write(clusterFile(c.identifier), Store.encode(c))
    }

    func saveShardGroup(_ g: ShardGroup, clusterID: String) throws(CLIError) {
        let obj: JSON = .object([
            ("FormatVersion", .int(Store.formatVersion)),
            ("DBShardGroup", g.dbShardGroup),
            ("ShardCount", .int(Int64(g.shardCount))),
            ("RouterCount", .int(Int64(g.routerCount))),
        ])
        try write(shardGroupFile(clusterID), obj)
    }

    func write(_ path: String, _ value: JSON) throws(CLIError) {
        do {
            try Files.makeDirectories(Files.parent(path))
            try Files.writeAtomically(path, value.serialized(.pretty) + "\n", mode: 0o600)
        } catch { throw .other("limitless: cannot write \(path): \(error)") }
    }

    func remove(_ path: String) throws(CLIError) {
        do { try Files.removeTree(path) } catch { throw .other("limitless: cannot remove \(path): \(error)") }
        Files.syncDirectory(of: path)
    }

    /// Renames atomically (same file system), then makes the change durable.
    func rename(_ from: String, _ to: String) throws(CLIError) {
        if Glibc.rename(from, to) != 0 { throw .other("limitless: cannot rename \(from) to \(to): \(SystemError("rename", from))") }
        Files.syncDirectory(of: to)
        if Files.parent(from) != Files.parent(to) { Files.syncDirectory(of: from) }
    }

    /// A name beside `path` for building or discarding it (never a valid identifier).
    func scratch(_ path: String, _ purpose: String) -> String {
        Files.join(Files.parent(path), ".\(purpose)-\(path.split(separator: "/").last ?? "")-\(getpid())")
    }

    /// Copies a folder tree (files 0600, folders 0700).
    func copyTree(_ from: String, _ to: String) throws(CLIError) {
        do {
            try Files.makeDirectories(to)
            for name in try Files.list(from) {
                let src = Files.join(from, name), dst = Files.join(to, name)
                if Files.isDirectory(src) { try copyTree(src, dst) } else { try Files.copyFile(src, dst) }
            }
        } catch let e as CLIError { throw e } catch {
            throw .other("limitless: cannot copy \(from) to \(to): \(error)")
        }
    }
}

/// Blocks Ctrl-C while metadata is being changed, so an interrupted command leaves either the
/// old state or the new one; a Ctrl-C that came meanwhile ends the process (status 130) after.
enum Interrupts {
    static func install() {
        signal(SIGINT) { _ in _exit(130) }
        // A parent may have left SIGINT blocked (some process launchers do); Ctrl-C must work.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    static func critical<T>(_ body: () throws(CLIError) -> T) throws(CLIError) -> T {
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigprocmask(SIG_BLOCK, &set, &old)
        defer { sigprocmask(SIG_SETMASK, &old, nil) }
        return try body()
    }
}
