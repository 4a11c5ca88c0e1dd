import Foundation
import Testing
import LimitlessSupport

/// Golden `--output text` / `--output table` renderings of the control-plane answers. Random
/// parts (resource ids, endpoint hash, hosted zone, KMS key id, maintenance windows) have every
/// letter and digit replaced by `#`, and timestamps by zeros, so widths stay what they were.
@Suite struct ControlPlaneGoldenTests {
    /// Masks the random values of the cluster and shard group in `home` inside `text`.
    func masked(_ text: String, _ h: Harness) throws -> String {
        let c = try JSON.parse(try h.run(["describe-db-clusters"]).stdout)["DBClusters"]?.arrayValue?.first
        let g = try JSON.parse(try h.run(["describe-db-shard-groups"]).stdout)["DBShardGroups"]?.arrayValue?.first
        var tokens: [String] = []
        for key in ["DbClusterResourceId", "HostedZoneId", "PreferredBackupWindow", "PreferredMaintenanceWindow"] {
            if let v = c?[key]?.stringValue { tokens.append(v) }
        }
        if let e = c?["Endpoint"]?.stringValue { tokens.append(String(e.split(separator: ".")[1].dropFirst("cluster-".count))) }
        if let k = c?["PerformanceInsightsKMSKeyId"]?.stringValue, let last = k.split(separator: "/").last { tokens.append(String(last)) }
        if let r = g?["DBShardGroupResourceId"]?.stringValue { tokens.append(r) }
        var out = text
        for t in tokens.sorted(by: { $0.count > $1.count }) {
            out = out.replacingOccurrences(of: t, with: String(t.map { $0.isLetter || $0.isNumber ? "#" : $0 }))
        }
        return out.replacingOccurrences(of: "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z", with: "0000-00-00T00:00:00.000000Z",
                                        options: .regularExpression)
    }

    @Test func textAndTableGoldens() throws {
        let h = try Harness()
        let cluster = try h.run(seedCluster + ["--output", "table"])
        #expect(cluster.status == 0)
        let group = try h.run(seedShardGroup + ["--tags", "Key=team,Value=db", "--output", "text"])
        #expect(group.status == 0)
        let groups = try h.run(["describe-db-shard-groups", "--output", "table"])
        let clusters = try h.run(["describe-db-clusters", "--output", "text"])
        #expect(try masked(cluster.stdout, h) == Self.createClusterTable)
        #expect(try masked(group.stdout, h) == Self.createShardGroupText)
        #expect(try masked(groups.stdout, h) == Self.describeShardGroupsTable)
        #expect(try masked(clusters.stdout, h) == Self.describeClustersText)
    }

    static let createClusterTable = """
        -------------------------------------------------------------------------------------------------------------------------
        |                                                    CreateDBCluster                                                    |
        +-----------------------------------------------------------------------------------------------------------------------+
        ||                                                      DBCluster                                                      ||
        |+-------------------------------------+-------------------------------------------------------------------------------+|
        ||  AllocatedStorage                   |  1                                                                            ||
        ||  AutoMinorVersionUpgrade            |  True                                                                         ||
        ||  BacktrackWindow                    |  0                                                                            ||
        ||  BackupRetentionPeriod              |  1                                                                            ||
        ||  ClusterCreateTime                  |  0000-00-00T00:00:00.000000Z                                                  ||
        ||  ClusterScalabilityType             |  limitless                                                                    ||
        ||  CopyTagsToSnapshot                 |  False                                                                        ||
        ||  CrossAccountClone                  |  False                                                                        ||
        ||  DBClusterArn                       |  arn:aws:rds:us-east-1:123456789012:cluster:my-limitless-cluster              ||
        ||  DBClusterIdentifier                |  my-limitless-cluster                                                         ||
        ||  DBClusterParameterGroup            |  default.aurora-postgresql16                                                  ||
        ||  DBSubnetGroup                      |  default                                                                      ||
        ||  DatabaseInsightsMode               |  standard                                                                     ||
        ||  DbClusterResourceId                |  #######-##########################                                           ||
        ||  DeletionProtection                 |  False                                                                        ||
        ||  EarliestRestorableTime             |  0000-00-00T00:00:00.000000Z                                                  ||
        ||  Endpoint                           |  my-limitless-cluster.cluster-############.us-east-1.rds.amazonaws.com        ||
        ||  Engine                             |  aurora-postgresql                                                            ||
        ||  EngineLifecycleSupport             |  open-source-rds-extended-support                                             ||
        ||  EngineMode                         |  provisioned                                                                  ||
        ||  EngineVersion                      |  16.6-limitless                                                               ||
        ||  GlobalWriteForwardingRequested     |  False                                                                        ||
        ||  HostedZoneId                       |  ##############                                                               ||
        ||  HttpEndpointEnabled                |  False                                                                        ||
        ||  IAMDatabaseAuthenticationEnabled   |  False                                                                        ||
        ||  LatestRestorableTime               |  0000-00-00T00:00:00.000000Z                                                  ||
        ||  MasterUsername                     |  myuser                                                                       ||
        ||  MonitoringInterval                 |  5                                                                            ||
        ||  MonitoringRoleArn                  |  arn:aws:iam::123456789012:role/EMrole                                        ||
        ||  MultiAZ                            |  False                                                                        ||
        ||  NetworkType                        |  IPV4                                                                         ||
        ||  PerformanceInsightsEnabled         |  True                                                                         ||
        ||  PerformanceInsightsKMSKeyId        |  arn:aws:kms:us-east-1:123456789012:key/########-####-####-####-############  ||
        ||  PerformanceInsightsRetentionPeriod |  31                                                                           ||
        ||  Port                               |  5432                                                                         ||
        ||  PreferredBackupWindow              |  ##:##-##:##                                                                  ||
        ||  PreferredMaintenanceWindow         |  ###:##:##-###:##:##                                                          ||
        ||  PubliclyAccessible                 |  False                                                                        ||
        ||  ReaderEndpoint                     |  my-limitless-cluster.cluster-ro-############.us-east-1.rds.amazonaws.com     ||
        ||  Status                             |  available                                                                    ||
        ||  StorageEncrypted                   |  False                                                                        ||
        ||  StorageType                        |  aurora-iopt1                                                                 ||
        |+-------------------------------------+-------------------------------------------------------------------------------+|
        |||                                                 AvailabilityZones                                                 |||
        ||+-------------------------------------------------------------------------------------------------------------------+||
        |||  us-east-1a                                                                                                       |||
        |||  us-east-1b                                                                                                       |||
        |||  us-east-1c                                                                                                       |||
        ||+-------------------------------------------------------------------------------------------------------------------+||
        |||                                                CertificateDetails                                                 |||
        ||+--------------------------------------+----------------------------------------------------------------------------+||
        |||  CAIdentifier                        |  rds-ca-rsa2048-g1                                                         |||
        |||  ValidTill                           |  0000-00-00T00:00:00.000000Z                                               |||
        ||+--------------------------------------+----------------------------------------------------------------------------+||
        |||                                           EnabledCloudwatchLogsExports                                            |||
        ||+-------------------------------------------------------------------------------------------------------------------+||
        |||  postgresql                                                                                                       |||
        ||+-------------------------------------------------------------------------------------------------------------------+||
        |||                                                 LimitlessDatabase                                                 |||
        ||+----------------------------------------------------------------+--------------------------------------------------+||
        |||  MinRequiredACU                                                |  16.0                                            |||
        |||  Status                                                        |  not-in-use                                      |||
        ||+----------------------------------------------------------------+--------------------------------------------------+||

        """

    static let createShardGroupText = """
        1	my-limitless-cluster	arn:aws:rds:us-east-1:123456789012:shard-group:##########-################################	my-db-shard-group	##########-################################	my-limitless-cluster.limitless-############.us-east-1.rds.amazonaws.com	1000.0	16.0	True	available
        TAGLIST	team	db

        """

    static let describeShardGroupsTable = """
        ----------------------------------------------------------------------------------------------------------------------------
        |                                                   DescribeDBShardGroups                                                  |
        +--------------------------------------------------------------------------------------------------------------------------+
        ||                                                      DBShardGroups                                                     ||
        |+------------------------+-----------------------------------------------------------------------------------------------+|
        ||  ComputeRedundancy     |  1                                                                                            ||
        ||  DBClusterIdentifier   |  my-limitless-cluster                                                                         ||
        ||  DBShardGroupArn       |  arn:aws:rds:us-east-1:123456789012:shard-group:##########-################################   ||
        ||  DBShardGroupIdentifier|  my-db-shard-group                                                                            ||
        ||  DBShardGroupResourceId|  ##########-################################                                                  ||
        ||  Endpoint              |  my-limitless-cluster.limitless-############.us-east-1.rds.amazonaws.com                      ||
        ||  MaxACU                |  1000.0                                                                                       ||
        ||  MinACU                |  16.0                                                                                         ||
        ||  PubliclyAccessible    |  True                                                                                         ||
        ||  Status                |  available                                                                                    ||
        |+------------------------+-----------------------------------------------------------------------------------------------+|
        |||                                                        TagList                                                       |||
        ||+--------------------------------------------------------------+-------------------------------------------------------+||
        |||  Key                                                         |  team                                                 |||
        |||  Value                                                       |  db                                                   |||
        ||+--------------------------------------------------------------+-------------------------------------------------------+||

        """

    static let describeClustersText = """
        DBCLUSTERS	1	True	0	1	0000-00-00T00:00:00.000000Z	limitless	False	False	arn:aws:rds:us-east-1:123456789012:cluster:my-limitless-cluster	my-limitless-cluster	default.aurora-postgresql16	default	standard	#######-##########################	False	0000-00-00T00:00:00.000000Z	my-limitless-cluster.cluster-############.us-east-1.rds.amazonaws.com	aurora-postgresql	open-source-rds-extended-support	provisioned	16.6-limitless	False	##############	False	False	0000-00-00T00:00:00.000000Z	myuser	5	arn:aws:iam::123456789012:role/EMrole	False	IPV4	True	arn:aws:kms:us-east-1:123456789012:key/########-####-####-####-############	31	5432	##:##-##:##	###:##:##-###:##:##	False	my-limitless-cluster.cluster-ro-############.us-east-1.rds.amazonaws.com	available	False	aurora-iopt1
        AVAILABILITYZONES	us-east-1a
        AVAILABILITYZONES	us-east-1b
        AVAILABILITYZONES	us-east-1c
        CERTIFICATEDETAILS	rds-ca-rsa2048-g1	0000-00-00T00:00:00.000000Z
        ENABLEDCLOUDWATCHLOGSEXPORTS	postgresql
        LIMITLESSDATABASE	16.0	active

        """
}
