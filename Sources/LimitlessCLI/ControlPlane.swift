import LimitlessSupport
import LimitlessEngine

/// The `aws rds` operations on local metadata. Each takes the validated request (member ->
/// value) and returns the response in the operation's output shape.
struct ControlPlane {
    let store: Store
    let region: String
    let log: (String) -> Void
    static let account = "123456789012"

    func run(_ command: CommandSpec, _ request: JSON) throws(CLIError) -> JSON {
        do throws(CLIError) {
            try Rules.checkEnums(request, Parameters.inputShape(command), path: "")
            switch command.name {
            case "create-db-cluster": return try createCluster(request)
            case "describe-db-clusters": return try describeClusters(request)
            case "modify-db-cluster": return try modifyCluster(request)
            case "delete-db-cluster": return try deleteCluster(request)
            case "create-db-shard-group": return try createShardGroup(request)
            case "describe-db-shard-groups": return try describeShardGroups(request)
            case "modify-db-shard-group": return try modifyShardGroup(request)
            case "delete-db-shard-group": return try deleteShardGroup(request)
            case "reboot-db-shard-group": return try rebootShardGroup(request)
            default: throw CLIError.other("limitless: \(command.name) is not an aws operation")
            }
        } catch {
            // Rules throw without an operation name; fill it in here.
            if case let .service(code, op, message) = error.kind, op.isEmpty {
                throw .service(code, command.operation ?? command.name, message)
            }
            throw error
        }
    }

    // MARK: - Clusters

    func clusterNotFound(_ id: String) -> CLIError { .service("DBClusterNotFoundFault", "", "DBCluster \(id) not found.") }
    func shardGroupNotFound(_ id: String) -> CLIError { .service("DBShardGroupNotFound", "", "DBShardGroup \(id) not found.") }

    func createCluster(_ r: JSON) throws(CLIError) -> JSON {
        let id = try Rules.identifier(r["DBClusterIdentifier"]?.stringValue ?? "", parameter: "DBClusterIdentifier")
        let engine = r["Engine"]?.stringValue ?? ""
        let scalability = r["ClusterScalabilityType"]?.stringValue ?? "standard"
        let version = r["EngineVersion"]?.stringValue
        let engines = ["aurora-postgresql", "aurora-mysql", "mysql", "postgres"]
        guard engines.contains(engine) else {
            throw Rules.invalid("Invalid DB engine: \(engine). Supported here: \(engines.joined(separator: ", ")).")
        }
        if scalability == "limitless" {
            guard engine == "aurora-postgresql", let v = version, Rules.isLimitlessVersion(v) else {
                throw Rules.combination("A limitless cluster (ClusterScalabilityType limitless) needs Engine aurora-postgresql and an EngineVersion of the form 16.x-limitless.")
            }
        } else if let v = version, v.hasSuffix("-limitless") {
            throw Rules.combination("EngineVersion \(v) can only be used with ClusterScalabilityType limitless.")
        }
        let manage = r["ManageMasterUserPassword"]?.boolValue ?? false
        guard let user = r["MasterUsername"]?.stringValue, !user.isEmpty else {
            throw Rules.invalid("The parameter MasterUsername must be provided and must not be blank.")
        }
        try Rules.checkUsername(user)
        let password = r["MasterUserPassword"]?.stringValue
        if manage && password != nil {
            throw Rules.combination("MasterUserPassword cannot be given when ManageMasterUserPassword is turned on.")
        }
        if !manage {
            guard let p = password, !p.isEmpty else {
                throw Rules.invalid("The parameter MasterUserPassword must be provided and must not be blank.")
            }
            try Rules.checkPassword(p)
        }
        try checkClusterSettings(r, creating: true)

        let lock = try store.lock(exclusive: true, mayCreate: true)
        defer { lock?.unlock() }
        if try store.loadCluster(id) != nil {
            throw .service("DBClusterAlreadyExistsFault", "", "DB Cluster already exists")
        }
        if Files.exists(store.clusterDirectory(id)) {
            throw .other("limitless: \(store.clusterDirectory(id)) exists but holds no cluster.json; move it away or remove it by hand")
        }
        let now = Clock.nowISO8601()
        let hash = Random.string(12, from: Random.lowerAlnum)
        var c: [(String, JSON)] = []
        func put(_ k: String, _ v: JSON?) { if let v { c.append((k, v)) } }
        put("AllocatedStorage", r["AllocatedStorage"] ?? .int(1))
        put("AvailabilityZones", r["AvailabilityZones"] ?? .array(["a", "b", "c"].map { .string(region + $0) }))
        put("BackupRetentionPeriod", r["BackupRetentionPeriod"] ?? .int(1))
        put("CharacterSetName", r["CharacterSetName"])
        put("DatabaseName", r["DatabaseName"])
        put("DBClusterIdentifier", .string(id))
        put("DBClusterParameterGroup", r["DBClusterParameterGroupName"] ?? .string(defaultParameterGroup(engine, version)))
        put("DBSubnetGroup", r["DBSubnetGroupName"] ?? .string("default"))
        put("Status", .string("available"))
        put("EarliestRestorableTime", .string(now))
        put("Endpoint", .string("\(id).cluster-\(hash).\(region).rds.amazonaws.com"))
        put("ReaderEndpoint", .string("\(id).cluster-ro-\(hash).\(region).rds.amazonaws.com"))
        put("MultiAZ", .bool(false))
        put("Engine", .string(engine))
        put("EngineVersion", .string(version ?? defaultVersion(engine)))
        put("LatestRestorableTime", .string(now))
        put("Port", r["Port"] ?? .int(engine.contains("mysql") ? 3306 : 5432))
        put("MasterUsername", .string(user))
        put("PreferredBackupWindow", r["PreferredBackupWindow"] ?? .string(randomBackupWindow()))
        put("PreferredMaintenanceWindow", r["PreferredMaintenanceWindow"] ?? .string(randomMaintenanceWindow()))
        put("ReadReplicaIdentifiers", .array([]))
        put("DBClusterMembers", .array([]))
        put("VpcSecurityGroups", .array([]))
        put("HostedZoneId", .string(Random.string(14, from: Random.upperAlnum)))
        put("StorageEncrypted", r["StorageEncrypted"] ?? .bool(r["KmsKeyId"] != nil))
        put("DbClusterResourceId", .string("cluster-" + Random.string(26, from: Random.upperAlnum)))
        put("DBClusterArn", .string("arn:aws:rds:\(region):\(ControlPlane.account):cluster:\(id)"))
        put("AssociatedRoles", .array([]))
        put("IAMDatabaseAuthenticationEnabled", .bool(false))
        put("ClusterCreateTime", .string(now))
        put("BacktrackWindow", .int(0))
        put("EnabledCloudwatchLogsExports", .array([]))
        put("EngineMode", .string("provisioned"))
        put("ScalingConfigurationInfo", .object([]))
        put("StorageType", .string("aurora"))
        put("PubliclyAccessible", .bool(false))
        put("AutoMinorVersionUpgrade", .bool(true))
        put("DeletionProtection", .bool(false))
        put("HttpEndpointEnabled", .bool(false))
        put("CopyTagsToSnapshot", .bool(false))
        put("CrossAccountClone", .bool(false))
        put("DomainMemberships", .array([]))
        put("TagList", .array([]))
        put("GlobalWriteForwardingRequested", .bool(false))
        put("NetworkType", .string("IPV4"))
        put("MonitoringInterval", .int(0))
        put("DatabaseInsightsMode", .string("standard"))
        put("PerformanceInsightsEnabled", .bool(false))
        if scalability == "limitless" {
            put("LimitlessDatabase", .object([("Status", .string("not-in-use")), ("MinRequiredACU", .double(16))]))
        }
        put("ClusterScalabilityType", .string(scalability))
        put("CertificateDetails", .object([("CAIdentifier", .string("rds-ca-rsa2048-g1")), ("ValidTill", .string(oneYearAfter(now)))]))
        put("EngineLifecycleSupport", .string("open-source-rds-extended-support"))
        var cluster = JSON.object(c)
        echo(r, into: &cluster, creating: true)
        if cluster["PerformanceInsightsEnabled"]?.boolValue == true {
            if cluster["PerformanceInsightsRetentionPeriod"] == nil { cluster.set("PerformanceInsightsRetentionPeriod", .int(7)) }
            if cluster["PerformanceInsightsKMSKeyId"] == nil {
                cluster.set("PerformanceInsightsKMSKeyId", .string("arn:aws:kms:\(region):\(ControlPlane.account):key/\(uuid())"))
            }
        }
        if manage {
            let kms = r["MasterUserSecretKmsKeyId"]?.stringValue ?? "arn:aws:kms:\(region):\(ControlPlane.account):key/\(uuid())"
            cluster.set("MasterUserSecret", .object([
                ("SecretArn", .string("arn:aws:secretsmanager:\(region):\(ControlPlane.account):secret:rds!cluster-\(uuid())-\(Random.string(6, from: Random.upperAlnum + "abcdefghijklmnopqrstuvwxyz"))")),
                ("SecretStatus", .string("active")), ("KmsKeyId", .string(kms))]))
        }
        let record = Store.Cluster(dbCluster: Shapes.ordered(cluster, CommandTable.dbClusterShape),
                                   settings: settings(from: r), password: password.map(hashPassword))
        try Interrupts.critical { () throws(CLIError) in
            // Build the folder under a scratch name, then rename it into place: a crash leaves
            // either no cluster or a whole one.
            let final = store.clusterDirectory(id), building = store.scratch(final, "creating")
            do throws(CLIError) {
                try store.write(Files.join(building, "cluster.json"), Store.encode(record))
                try store.rename(building, final)
            } catch {
                try? store.remove(building)
                throw error
            }
        }
        log("created \(store.clusterFile(id))")
        return .object([("DBCluster", present(record, shardGroup: nil))])
    }

    /// Rules for the cluster settings that have them (create and modify).
    func checkClusterSettings(_ r: JSON, creating: Bool) throws(CLIError) {
        if let p = r["Port"]?.intValue, !(1150...65535).contains(p) {
            throw Rules.invalid("Port must be between 1150 and 65535; \(p) was given.")
        }
        if let b = r["BackupRetentionPeriod"]?.intValue, !(1...35).contains(b) {
            throw Rules.invalid("BackupRetentionPeriod must be between 1 and 35; \(b) was given.")
        }
        if let m = r["MonitoringInterval"]?.intValue {
            guard [0, 1, 5, 10, 15, 30, 60].contains(m) else {
                throw Rules.invalid("MonitoringInterval must be one of 0, 1, 5, 10, 15, 30 or 60; \(m) was given.")
            }
            if creating && m > 0 && r["MonitoringRoleArn"] == nil {
                throw Rules.combination("A MonitoringRoleArn is needed when MonitoringInterval is not 0.")
            }
        }
        if let days = r["PerformanceInsightsRetentionPeriod"]?.intValue {
            guard days == 7 || days == 731 || (days % 31 == 0 && (1...23).contains(days / 31)) else {
                throw Rules.invalid("PerformanceInsightsRetentionPeriod must be 7, 731 or a multiple of 31 up to 713; \(days) was given.")
            }
        }
    }

    func describeClusters(_ r: JSON) throws(CLIError) -> JSON {
        let lock = try store.lock(exclusive: false)
        defer { lock?.unlock() }
        var ids = try store.clusterIDs()
        if let wanted = r["DBClusterIdentifier"]?.stringValue {
            // The identifier or the cluster's ARN (arn:aws:rds:REGION:ACCOUNT:cluster:ID).
            let parts = wanted.split(separator: ":", omittingEmptySubsequences: false)
            let name = wanted.hasPrefix("arn:") && parts.count == 7 && parts[5] == "cluster" ? String(parts[6]) : wanted
            let id = name.lowercased()
            guard ids.contains(id) else { throw clusterNotFound(wanted) }
            ids = [id]
        }
        var list: [JSON] = []
        for id in ids {
            guard let c = try store.loadCluster(id) else { continue }
            let group = try store.loadShardGroup(id)
            let shown = present(c, shardGroup: group)
            if try matches(filters: r["Filters"], cluster: shown) { list.append(shown) }
        }
        if let max = r["MaxRecords"]?.intValue, !(20...100).contains(max) {
            throw Rules.invalid("MaxRecords must be between 20 and 100; \(max) was given.")
        }
        return .object([("DBClusters", .array(list))])
    }

    /// `--filters Name=db-cluster-id,Values=a,b` and `Name=engine,Values=...`.
    func matches(filters: JSON?, cluster: JSON) throws(CLIError) -> Bool {
        guard let filters = filters?.arrayValue else { return true }
        for f in filters {
            guard let name = f["Name"]?.stringValue else { continue }
            let values = (f["Values"]?.arrayValue ?? []).compactMap(\.stringValue)
            let field: [String]
            switch name {
            case "db-cluster-id":
                field = [cluster["DBClusterIdentifier"]?.stringValue ?? "", cluster["DBClusterArn"]?.stringValue ?? ""]
            case "engine": field = [cluster["Engine"]?.stringValue ?? ""]
            case "db-cluster-resource-id": field = [cluster["DbClusterResourceId"]?.stringValue ?? ""]
            case "clone-group-id", "domain": field = []
            default:
                throw Rules.invalid("Unrecognized filter name: \(name).")
            }
            if !values.contains(where: { field.contains($0) }) { return false }
        }
        return true
    }

    func modifyCluster(_ r: JSON) throws(CLIError) -> JSON {
        let given = r["DBClusterIdentifier"]?.stringValue ?? ""
        let id = given.lowercased()
        try checkClusterSettings(r, creating: false)
        if let p = r["MasterUserPassword"]?.stringValue { try Rules.checkPassword(p) }
        let lock = try store.lock(exclusive: true)
        defer { lock?.unlock() }
        guard var c = try store.loadCluster(id) else { throw clusterNotFound(given) }
        if let m = r["MonitoringInterval"]?.intValue, m > 0, r["MonitoringRoleArn"] == nil,
           c.dbCluster["MonitoringRoleArn"] == nil {
            throw Rules.combination("A MonitoringRoleArn is needed when MonitoringInterval is not 0.")
        }
        if let v = r["EngineVersion"]?.stringValue {
            let limitless = c.dbCluster["ClusterScalabilityType"]?.stringValue == "limitless"
            if limitless != Rules.isLimitlessVersion(v) {
                throw Rules.combination("EngineVersion \(v) does not fit this cluster's ClusterScalabilityType.")
            }
        }
        let group = try store.loadShardGroup(id)
        var newID = id
        if let n = r["NewDBClusterIdentifier"]?.stringValue {
            newID = try Rules.identifier(n, parameter: "NewDBClusterIdentifier")
            if newID != id {
                if Files.exists(store.clusterDirectory(newID)) {
                    throw .service("DBClusterAlreadyExistsFault", "", "DB Cluster already exists")
                }
                if group != nil {
                    throw .service("InvalidDBClusterStateFault", "", "DB cluster \(id) cannot be renamed while it has a DB shard group.")
                }
            }
        }
        var cluster = c.dbCluster
        echo(r, into: &cluster, creating: false)
        if let p = r["MasterUserPassword"]?.stringValue { c.password = hashPassword(p) }
        var settings = c.settings
        for (k, v) in self.settings(from: r).objectValue ?? [] { settings.set(k, v) }
        c.settings = settings
        if newID != id {
            cluster.set("DBClusterIdentifier", .string(newID))
            cluster.set("DBClusterArn", .string("arn:aws:rds:\(arnRegion(cluster)):\(ControlPlane.account):cluster:\(newID)"))
            for key in ["Endpoint", "ReaderEndpoint"] {
                if let e = cluster[key]?.stringValue, e.hasPrefix(id + ".") {
                    cluster.set(key, .string(newID + e.dropFirst(id.count)))
                }
            }
        }
        c.dbCluster = Shapes.ordered(cluster, CommandTable.dbClusterShape)
        let record = c
        try Interrupts.critical { () throws(CLIError) in
            if newID != id {
                // Rename the folder (atomic), then write the renamed cluster into it.
                try store.rename(store.clusterDirectory(id), store.clusterDirectory(newID))
                do throws(CLIError) { try store.saveCluster(record) } catch {
                    try? store.rename(store.clusterDirectory(newID), store.clusterDirectory(id)); throw error
                }
            } else {
                try store.saveCluster(record)
            }
        }
        log("modified \(store.clusterFile(newID))")
        return .object([("DBCluster", present(record, shardGroup: newID == id ? group : nil))])
    }

    func deleteCluster(_ r: JSON) throws(CLIError) -> JSON {
        let given = r["DBClusterIdentifier"]?.stringValue ?? ""
        let id = given.lowercased()
        let skip = r["SkipFinalSnapshot"]?.boolValue ?? false
        let snapshot = r["FinalDBSnapshotIdentifier"]?.stringValue
        let lock = try store.lock(exclusive: true)
        defer { lock?.unlock() }
        guard let c = try store.loadCluster(id) else { throw clusterNotFound(given) }
        if skip && snapshot != nil {
            throw Rules.combination("FinalDBSnapshotIdentifier cannot be given together with SkipFinalSnapshot.")
        }
        if !skip && snapshot == nil {
            throw Rules.combination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
        }
        var snapshotID: String?
        if let s = snapshot {
            let sid = try Rules.identifier(s, parameter: "FinalDBSnapshotIdentifier")
            if Files.exists(Files.join(store.snapshotsDirectory, sid)) {
                throw .service("DBClusterSnapshotAlreadyExistsFault", "", "Cannot create the snapshot because a snapshot with the identifier \(sid) already exists.")
            }
            snapshotID = sid
        }
        if c.dbCluster["DeletionProtection"]?.boolValue == true {
            throw Rules.combination("Cannot delete protected Cluster, please disable deletion protection and try again.")
        }
        if let g = try store.loadShardGroup(id) {
            throw .service("InvalidDBClusterStateFault", "", "Cluster \(id) still has DB shard group \(g.identifier); delete the shard group first.")
        }
        try Interrupts.critical { () throws(CLIError) in
            let folder = store.clusterDirectory(id)
            if let sid = snapshotID {
                // Copy under a scratch name, then rename the copy into place.
                let dest = Files.join(store.snapshotsDirectory, sid), building = store.scratch(dest, "copying")
                do throws(CLIError) {
                    try store.copyTree(folder, building)
                    try store.rename(building, dest)
                } catch {
                    try? store.remove(building); throw error
                }
            }
            // Move the folder out of sight in one step, then delete it.
            let trash = store.scratch(folder, "deleting")
            try store.rename(folder, trash)
            try store.remove(trash)
        }
        log("removed \(store.clusterDirectory(id))" + (snapshotID.map { "; final snapshot in \(Files.join(store.snapshotsDirectory, $0))" } ?? ""))
        var shown = present(c, shardGroup: nil)
        shown.set("Status", .string("deleting"))
        return .object([("DBCluster", shown)])
    }

    // MARK: - Shard groups

    func createShardGroup(_ r: JSON) throws(CLIError) -> JSON {
        let id = try Rules.identifier(r["DBShardGroupIdentifier"]?.stringValue ?? "", parameter: "DBShardGroupIdentifier")
        let clusterGiven = r["DBClusterIdentifier"]?.stringValue ?? ""
        let clusterID = clusterGiven.lowercased()
        let maxACU = r["MaxACU"]?.doubleValue ?? 0
        // Without --min-acu the group may shrink to the smallest size the service allows.
        let minACU = r["MinACU"]?.doubleValue ?? min(16, maxACU)
        let redundancy = r["ComputeRedundancy"]?.intValue ?? 0
        try Rules.checkCapacity(maxACU: maxACU, minACU: minACU, redundancy: redundancy)
        let lock = try store.lock(exclusive: true)
        defer { lock?.unlock() }
        guard let cluster = try store.loadCluster(clusterID) else { throw clusterNotFound(clusterGiven) }
        for g in try store.allShardGroups() where g.identifier == id {
            throw .service("DBShardGroupAlreadyExists", "", "DB Shard Group \(id) already exists.")
        }
        guard cluster.dbCluster["ClusterScalabilityType"]?.stringValue == "limitless" else {
            throw .service("InvalidDBClusterStateFault", "", "DB cluster \(clusterID) is not a limitless cluster (ClusterScalabilityType limitless), so it cannot have a DB shard group.")
        }
        if let existing = try store.loadShardGroup(clusterID) {
            throw .service("MaxDBShardGroupLimitReached", "", "DB cluster \(clusterID) already has DB shard group \(existing.identifier); a cluster has at most one.")
        }
        let (routers, shards) = Rules.topology(maxACU: maxACU)
        let resourceID = "shardgroup-" + Random.string(32, from: Random.hexDigits)
        let endpoint = endpointHash(cluster).map { "\(clusterID).limitless-\($0).\(arnRegion(cluster.dbCluster)).rds.amazonaws.com" }
            ?? "\(clusterID).limitless.\(arnRegion(cluster.dbCluster)).rds.amazonaws.com"
        let group: JSON = .object([
            ("DBShardGroupResourceId", .string(resourceID)),
            ("DBShardGroupIdentifier", .string(id)),
            ("DBClusterIdentifier", .string(clusterID)),
            ("MaxACU", .double(maxACU)),
            ("MinACU", .double(minACU)),
            ("ComputeRedundancy", .int(redundancy)),
            ("Status", .string("available")),
            ("PubliclyAccessible", .bool(r["PubliclyAccessible"]?.boolValue ?? false)),
            ("Endpoint", .string(endpoint)),
            ("DBShardGroupArn", .string("arn:aws:rds:\(arnRegion(cluster.dbCluster)):\(ControlPlane.account):shard-group:\(resourceID)")),
            ("TagList", r["Tags"] ?? .array([])),
        ])
        let record = Store.ShardGroup(dbShardGroup: group, shardCount: shards, routerCount: routers)
        let data = store.dataDirectory(clusterID)
        try Interrupts.critical { () throws(CLIError) in
            do {
                if Files.exists(data) { try store.remove(data) }
                try ShardGroupStorage.create(directory: data, shardCount: shards, routerCount: routers)
                try store.saveShardGroup(record, clusterID: clusterID)
            } catch {
                try? store.remove(data)
                try? store.remove(store.shardGroupFile(clusterID))
                if let e = error as? CLIError { throw e }
                throw .other("limitless: cannot create the shard group storage in \(data): \(error)")
            }
        }
        log("created shard group \(id): \(routers) routers, \(shards) shards in \(data)")
        return Shapes.ordered(group, CommandTable.dbShardGroupShape)
    }

    func findShardGroup(_ given: String) throws(CLIError) -> (Store.ShardGroup, String) {
        let id = given.lowercased()
        for cid in try store.clusterIDs() {
            if let g = try store.loadShardGroupOfValidCluster(cid), g.identifier == id { return (g, cid) }
        }
        throw shardGroupNotFound(given)
    }

    func describeShardGroups(_ r: JSON) throws(CLIError) -> JSON {
        let lock = try store.lock(exclusive: false)
        defer { lock?.unlock() }
        var groups: [JSON] = []
        if let wanted = r["DBShardGroupIdentifier"]?.stringValue {
            let (g, cid) = try findShardGroup(wanted)
            log("shard group \(g.identifier): \(g.routerCount) routers, \(g.shardCount) shards in \(store.dataDirectory(cid))")
            groups = [g.dbShardGroup]
        } else {
            for cid in try store.clusterIDs() {
                guard let g = try store.loadShardGroupOfValidCluster(cid) else { continue }
                if let filters = r["Filters"]?.arrayValue {
                    var keep = true
                    for f in filters {
                        let values = (f["Values"]?.arrayValue ?? []).compactMap(\.stringValue)
                        switch f["Name"]?.stringValue ?? "" {
                        case "db-cluster-id": keep = keep && values.contains(cid)
                        case "db-shard-group-id": keep = keep && values.contains(g.identifier)
                        default: throw Rules.invalid("Unrecognized filter name: \(f["Name"]?.stringValue ?? "").")
                        }
                    }
                    if !keep { continue }
                }
                log("shard group \(g.identifier): \(g.routerCount) routers, \(g.shardCount) shards in \(store.dataDirectory(cid))")
                groups.append(g.dbShardGroup)
            }
        }
        return .object([("DBShardGroups", .array(groups.map { Shapes.ordered($0, CommandTable.dbShardGroupShape) }))])
    }

    func modifyShardGroup(_ r: JSON) throws(CLIError) -> JSON {
        let lock = try store.lock(exclusive: true)
        defer { lock?.unlock() }
        var (g, cid) = try findShardGroup(r["DBShardGroupIdentifier"]?.stringValue ?? "")
        var group = g.dbShardGroup
        let maxACU = r["MaxACU"]?.doubleValue ?? group["MaxACU"]?.doubleValue ?? 16
        let minACU = r["MinACU"]?.doubleValue ?? group["MinACU"]?.doubleValue ?? 16
        let redundancy = r["ComputeRedundancy"]?.intValue ?? group["ComputeRedundancy"]?.intValue ?? 0
        try Rules.checkCapacity(maxACU: maxACU, minACU: minACU, redundancy: redundancy)
        group.set("MaxACU", .double(maxACU))
        group.set("MinACU", .double(minACU))
        group.set("ComputeRedundancy", .int(redundancy))
        g.dbShardGroup = Shapes.ordered(group, CommandTable.dbShardGroupShape)
        let record = g
        try Interrupts.critical { () throws(CLIError) in try store.saveShardGroup(record, clusterID: cid) }
        log("modified shard group \(g.identifier); the shard count stays \(g.shardCount)")
        var shown = g.dbShardGroup
        shown.set("Status", .string("modifying"))
        return shown
    }

    func deleteShardGroup(_ r: JSON) throws(CLIError) -> JSON {
        let lock = try store.lock(exclusive: true)
        defer { lock?.unlock() }
        let (g, cid) = try findShardGroup(r["DBShardGroupIdentifier"]?.stringValue ?? "")
        let data = store.dataDirectory(cid)
        if Files.exists(data) {
            let tables: [String]
            do { tables = try ShardGroupStorage.userTableNames(directory: data) } catch {
                throw .other("limitless: cannot read the shard group storage in \(data): \(error)")
            }
            if !tables.isEmpty {
                throw .service("InvalidDBShardGroupState", "", "DB shard group \(g.identifier) still holds user tables (\(tables.joined(separator: ", "))); drop them first.")
            }
        }
        try Interrupts.critical { () throws(CLIError) in
            // The metadata goes first: a crash in between leaves orphan files, never a group without files.
            try store.remove(store.shardGroupFile(cid))
            do { try ShardGroupStorage.remove(directory: data) } catch {
                throw .other("limitless: cannot remove \(data): \(error)")
            }
        }
        log("deleted shard group \(g.identifier) and \(data)")
        var shown = g.dbShardGroup
        shown.set("Status", .string("deleting"))
        return shown
    }

    func rebootShardGroup(_ r: JSON) throws(CLIError) -> JSON {
        let lock = try store.lock(exclusive: false)
        defer { lock?.unlock() }
        let (g, _) = try findShardGroup(r["DBShardGroupIdentifier"]?.stringValue ?? "")
        // Nothing runs between commands, so there is nothing to restart; the answer is aws's.
        var shown = g.dbShardGroup
        shown.set("Status", .string("rebooting"))
        return shown
    }

    // MARK: - Helpers

    /// The stored cluster as describe shows it (time-dependent fields filled in now).
    func present(_ c: Store.Cluster, shardGroup: Store.ShardGroup?) -> JSON {
        var v = c.dbCluster
        v.set("LatestRestorableTime", .string(Clock.nowISO8601()))
        if case var .object(limitless)? = v["LimitlessDatabase"] {
            let status: JSON = .string(shardGroup == nil ? "not-in-use" : "active")
            if let k = limitless.firstIndex(where: { $0.0 == "Status" }) { limitless[k].1 = status }
            v.set("LimitlessDatabase", .object(limitless))
        }
        return Shapes.ordered(v, CommandTable.dbClusterShape)
    }

    func endpointHash(_ c: Store.Cluster) -> String? {
        // ID.cluster-HASH.REGION.rds.amazonaws.com
        guard let e = c.dbCluster["Endpoint"]?.stringValue else { return nil }
        let parts = e.split(separator: ".")
        guard parts.count > 1, parts[1].hasPrefix("cluster-") else { return nil }
        return String(parts[1].dropFirst("cluster-".count))
    }

    func arnRegion(_ cluster: JSON) -> String {
        let parts = (cluster["DBClusterArn"]?.stringValue ?? "").split(separator: ":", omittingEmptySubsequences: false)
        return parts.count > 3 && !parts[3].isEmpty ? String(parts[3]) : region
    }

    func settings(from r: JSON) -> JSON {
        .object((r.objectValue ?? []).filter { $0.0 != "MasterUserPassword" })
    }

    func hashPassword(_ p: String) -> JSON {
        let salt = Random.bytes(16)
        let iterations = 4096
        let hash = SHA256.pbkdf2(password: Array(p.utf8), salt: salt, iterations: iterations)
        return .object([("Algorithm", .string("pbkdf2-sha256")), ("Iterations", .int(Int64(iterations))),
                        ("Salt", .string(SHA256.hex(salt))), ("Hash", .string(SHA256.hex(hash)))])
    }

    /// Copies request members into the DBCluster structure where the output shape has them.
    func echo(_ r: JSON, into c: inout JSON, creating: Bool) {
        let renamed: [String: String] = [
            "DBClusterParameterGroupName": "DBClusterParameterGroup",
            "DBSubnetGroupName": "DBSubnetGroup",
            "EnableIAMDatabaseAuthentication": "IAMDatabaseAuthenticationEnabled",
            "EnablePerformanceInsights": "PerformanceInsightsEnabled",
            "EnableHttpEndpoint": "HttpEndpointEnabled",
            "EnableGlobalWriteForwarding": "GlobalWriteForwardingRequested",
            "EnableCloudwatchLogsExports": "EnabledCloudwatchLogsExports",
            "Tags": "TagList",
            "ScalingConfiguration": "ScalingConfigurationInfo",
        ]
        let skip: Set<String> = ["DBClusterIdentifier", "MasterUserPassword", "NewDBClusterIdentifier", "Engine"]
        for (k, v) in r.objectValue ?? [] where !skip.contains(k) {
            let target = renamed[k] ?? k
            if let shape = CommandTable.dbClusterShape.member(target), shape.typeName == Self.inputType(of: v, like: shape) {
                c.set(target, v)
            }
        }
        if let ids = r["VpcSecurityGroupIds"]?.arrayValue {
            c.set("VpcSecurityGroups", .array(ids.map { .object([("VpcSecurityGroupId", $0), ("Status", .string("active"))]) }))
        }
        if let og = r["OptionGroupName"] {
            c.set("DBClusterOptionGroupMemberships", .array([.object([("DBClusterOptionGroupName", og), ("Status", .string("in-sync"))])]))
        }
        if let d = r["Domain"] {
            var m: [(String, JSON)] = [("Domain", d), ("Status", .string("joined"))]
            if let role = r["DomainIAMRoleName"] { m.append(("IAMRoleName", role)) }
            c.set("DomainMemberships", .array([.object(m)]))
        }
        if let ca = r["CACertificateIdentifier"] {
            var details = c["CertificateDetails"] ?? .object([])
            details.set("CAIdentifier", ca)
            c.set("CertificateDetails", details)
        }
        if let lwf = r["EnableLocalWriteForwarding"]?.boolValue {
            c.set("LocalWriteForwardingStatus", .string(lwf ? "enabled" : "disabled"))
        }
        if let cfg = r["CloudwatchLogsExportConfiguration"] {
            var logs = (c["EnabledCloudwatchLogsExports"]?.arrayValue ?? []).compactMap(\.stringValue)
            for x in (cfg["EnableLogTypes"]?.arrayValue ?? []).compactMap(\.stringValue) where !logs.contains(x) { logs.append(x) }
            let off = Set((cfg["DisableLogTypes"]?.arrayValue ?? []).compactMap(\.stringValue))
            logs.removeAll(where: { off.contains($0) })
            c.set("EnabledCloudwatchLogsExports", .array(logs.map { .string($0) }))
        }
        if !creating, r["KmsKeyId"] != nil { c.set("StorageEncrypted", .bool(true)) }
    }

    /// The shape type name a request value fits, so only same-typed members are copied.
    static func inputType(of v: JSON, like shape: Shape) -> String {
        switch v {
        case .string: return shape.typeName == "timestamp" ? "timestamp" : "string"
        case .int: return ["integer", "long", "double"].contains(shape.typeName) ? shape.typeName : "integer"
        case .double: return "double"
        case .bool: return "boolean"
        case .array: return "list"
        case .object: return "structure"
        case .null: return "null"
        }
    }

    func defaultParameterGroup(_ engine: String, _ version: String?) -> String {
        let major = (version ?? defaultVersion(engine)).split(separator: ".").first.map(String.init) ?? "16"
        switch engine {
        case "aurora-postgresql": return "default.aurora-postgresql\(major)"
        case "aurora-mysql": return "default.aurora-mysql8.0"
        case "mysql": return "default.mysql8.0"
        default: return "default.postgres\(major)"
        }
    }

    func defaultVersion(_ engine: String) -> String {
        switch engine {
        case "aurora-postgresql": return "16.6"
        case "aurora-mysql": return "8.0.mysql_aurora.3.08.0"
        case "mysql": return "8.0.40"
        default: return "16.6"
        }
    }

    func randomBackupWindow() -> String {
        let start = Int(Random.bytes(1)[0]) % 48  // half hours
        let m0 = (start % 2) * 30 + Int(Random.bytes(1)[0]) % 30
        let h0 = start / 2
        let end = h0 * 60 + m0 + 30
        return "\(two(h0)):\(two(m0))-\(two((end / 60) % 24)):\(two(end % 60))"
    }

    func randomMaintenanceWindow() -> String {
        let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        let b = Random.bytes(3)
        let day = Int(b[0]) % 7, h = Int(b[1]) % 24, m = Int(b[2]) % 60
        let end = h * 60 + m + 30
        let endDay = end >= 24 * 60 ? (day + 1) % 7 : day
        return "\(days[day]):\(two(h)):\(two(m))-\(days[endDay]):\(two((end / 60) % 24)):\(two(end % 60))"
    }

    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    func oneYearAfter(_ iso: String) -> String {
        guard let y = Int(iso.prefix(4)) else { return iso }
        return String(y + 1) + iso.dropFirst(4)
    }

    func uuid() -> String {
        let h = SHA256.hex(Random.bytes(16))
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

/// Output helpers: order an object's members as the model lists them, recursively.
enum Shapes {
    static func ordered(_ value: JSON, _ shape: Shape) -> JSON {
        switch (shape, value) {
        case let (.structure(members), .object(fields)):
            var out: [(String, JSON)] = []
            for m in members { if let v = fields.first(where: { $0.0 == m.name })?.1 { out.append((m.name, ordered(v, m.shape))) } }
            return .object(out)
        case let (.list(item), .array(items)):
            return .array(items.map { ordered($0, item) })
        default:
            return value
        }
    }
}
