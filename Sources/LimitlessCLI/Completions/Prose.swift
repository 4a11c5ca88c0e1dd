/// The hand-written part of the man pages: what each command does, beyond its option list.
enum Prose {
    struct Example {
        var caption: String
        var lines: [String]
    }

    struct Page {
        /// The NAME line's text after the dash.
        var purpose: String
        var description: [String]
        /// Extra sections: title and roff lines.
        var sections: [(String, [String])] = []
        var examples: [Example] = []
        /// Other limitless commands to point to.
        var seeAlso: [String] = []
    }

    static let identifierRule = "Identifiers are 1 to 63 letters, digits and single hyphens, start with a letter, do not end with a hyphen, and are kept in lower case."

    static let pages: [String: Page] = [
        "create-db-cluster": Page(
            purpose: "create a DB cluster",
            description: [
                "Creates a cluster record under `$LIMITLESS_HOME/clusters/ID` and prints it as `{\"DBCluster\": {...}}`. \(identifierRule)",
                "For a cluster that can hold a shard group, give `--cluster-scalability-type limitless` with `--engine aurora-postgresql` and an engine version of the form `16.x-limitless`; any other combination with `limitless` fails with InvalidParameterCombination. Other engines and standard clusters are recorded too, but only a limitless cluster gets a shard group.",
                "The master password must be 8 to 128 printable ASCII characters other than `/`, `\"`, `@` and the space. It is never printed or stored: only a salted PBKDF2-SHA256 hash is kept.",
                "Options without meaning on one machine (VPC, KMS, monitoring, backups and so on) are type-checked, kept in `cluster.json`, and shown back wherever the DBCluster structure has a member for them. A cluster that already exists gives DBClusterAlreadyExistsFault.",
            ],
            examples: [Example(caption: "The seed cluster of the Aurora Limitless guide:", lines: ManPages.seedCluster)],
            seeAlso: ["describe-db-clusters", "create-db-shard-group", "delete-db-cluster"]),
        "describe-db-clusters": Page(
            purpose: "show DB clusters",
            description: [
                "Prints `{\"DBClusters\": [...]}` with every cluster under `$LIMITLESS_HOME`, sorted by identifier, or only the one named by `--db-cluster-identifier` (DBClusterNotFoundFault when there is none).",
                "`--filters` keeps the clusters whose field matches one of the given values; the filter names `db-cluster-id` (identifier or ARN), `engine`, `db-cluster-resource-id`, `clone-group-id` and `domain` are understood. `--max-records` and `--marker` are accepted; every cluster fits in one page.",
                "A limitless cluster shows its `LimitlessDatabase` status: `active` once it has a shard group, `not-in-use` before.",
            ],
            examples: [
                Example(caption: "All clusters, as a table:", lines: ["limitless describe-db-clusters --output table"]),
                Example(caption: "The endpoint of one cluster:", lines: [
                    "limitless describe-db-clusters --db-cluster-identifier my-limitless-cluster \\",
                    "    --query 'DBClusters[0].Endpoint' --output text",
                ]),
            ],
            seeAlso: ["create-db-cluster", "modify-db-cluster"]),
        "modify-db-cluster": Page(
            purpose: "change settings of a DB cluster",
            description: [
                "Changes the settings given and prints the cluster as `{\"DBCluster\": {...}}`. Options not given keep their values.",
                "`--new-db-cluster-identifier` renames the cluster, moving its folder; this is only possible while the cluster has no shard group. `--master-user-password` replaces the stored hash. The engine version must stay compatible with the cluster's scalability type.",
                "Changes are applied at once whether or not `--apply-immediately` is given: there is no maintenance window on one machine.",
            ],
            examples: [Example(caption: "Protect a cluster against deletion:", lines: [
                "limitless modify-db-cluster --db-cluster-identifier my-limitless-cluster \\",
                "    --deletion-protection",
            ])],
            seeAlso: ["describe-db-clusters", "delete-db-cluster"]),
        "delete-db-cluster": Page(
            purpose: "delete a DB cluster",
            description: [
                "Removes the cluster's folder and prints the cluster one last time, with status `deleting`.",
                "As in RDS, say what happens to the data: `--skip-final-snapshot` deletes it, `--final-db-snapshot-identifier ID` first copies the cluster's folder to `$LIMITLESS_HOME/snapshots/ID`. Giving both, or neither, fails with InvalidParameterCombination.",
                "A cluster that still has a shard group cannot be deleted (InvalidDBClusterStateFault): delete the shard group first. Neither can a cluster with deletion protection.",
            ],
            examples: [Example(caption: "Delete the shard group, then the cluster:", lines: [
                "limitless delete-db-shard-group --db-shard-group-identifier my-db-shard-group",
                "limitless delete-db-cluster --db-cluster-identifier my-limitless-cluster \\",
                "    --skip-final-snapshot",
            ])],
            seeAlso: ["delete-db-shard-group", "create-db-cluster"]),
        "create-db-shard-group": Page(
            purpose: "create the shard group of a limitless cluster",
            description: [
                "Creates the shard group of a limitless cluster: the router database and one SQLite file per shard under `$LIMITLESS_HOME/clusters/CLUSTER/data`. The group is printed with its members flat, as aws prints it. \(identifierRule)",
                "The cluster must exist (DBClusterNotFoundFault) and be a limitless cluster (InvalidDBClusterStateFault); it can have one shard group (MaxDBShardGroupLimitReached), and shard group names are unique (DBShardGroupAlreadyExists).",
                "`--max-acu` (16 to 6144) decides how many routers and shards the group gets, once and for all: up to 400 ACU 2 routers and 2 shards, 1000 ACU 4 routers and 6 shards, above 2300 ACU 8 routers and 16 shards, with steps in between. `--min-acu` must lie between 16 and MaxACU, and `--compute-redundancy` is 0, 1 or 2. The counts are kept in `shard-group.json` and shown by `describe-db-shard-groups --debug`.",
            ],
            examples: [Example(caption: "The seed shard group of the Aurora Limitless guide (4 routers, 6 shards):", lines: ManPages.seedShardGroup)],
            seeAlso: ["create-db-cluster", "describe-db-shard-groups", "sql"]),
        "describe-db-shard-groups": Page(
            purpose: "show DB shard groups",
            description: [
                "Prints `{\"DBShardGroups\": [...]}` with every shard group, or only the one named by `--db-shard-group-identifier` (DBShardGroupNotFound when there is none).",
                "`--filters` understands `db-cluster-id` and `db-shard-group-id`. `--max-records` and `--marker` are accepted; every group fits in one page. With `--debug`, the number of routers and shards of each group is logged to standard error.",
            ],
            examples: [Example(caption: "The shard groups as a table:", lines: ["limitless describe-db-shard-groups --output table"])],
            seeAlso: ["create-db-shard-group", "modify-db-shard-group"]),
        "modify-db-shard-group": Page(
            purpose: "change the capacity of a DB shard group",
            description: [
                "Changes MaxACU, MinACU or the compute redundancy of a shard group and prints it with status `modifying`. The same limits as at creation apply (MaxACU 16 to 6144, MinACU 16 up to MaxACU, redundancy 0 to 2).",
                "The number of routers and shards was fixed when the group was created and does not change; the data stays where it is.",
            ],
            examples: [Example(caption: "Allow more capacity:", lines: [
                "limitless modify-db-shard-group --db-shard-group-identifier my-db-shard-group \\",
                "    --max-acu 1200",
            ])],
            seeAlso: ["describe-db-shard-groups", "create-db-shard-group"]),
        "delete-db-shard-group": Page(
            purpose: "delete a DB shard group",
            description: [
                "Removes a shard group and its storage, and prints it one last time with status `deleting`.",
                "A shard group that still holds user tables is refused with InvalidDBShardGroupState, so data is never dropped by accident: drop the tables with `limitless sql` first.",
            ],
            examples: [Example(caption: "Drop a table, then the group:", lines: [
                "limitless sql --db-cluster-identifier my-limitless-cluster -c 'DROP TABLE orders'",
                "limitless delete-db-shard-group --db-shard-group-identifier my-db-shard-group",
            ])],
            seeAlso: ["create-db-shard-group", "delete-db-cluster"]),
        "reboot-db-shard-group": Page(
            purpose: "restart a DB shard group",
            description: [
                "Answers as the service does, printing the shard group with status `rebooting`. Nothing keeps running between two `limitless` commands, so there is nothing to restart: the next command finds the group available.",
            ],
            examples: [Example(caption: "Restart the seed group:", lines: [
                "limitless reboot-db-shard-group --db-shard-group-identifier my-db-shard-group",
            ])],
            seeAlso: ["describe-db-shard-groups"]),
        "sql": Page(
            purpose: "run Limitless SQL on a cluster's shard group",
            description: [
                "Runs SQL on the shard group of the cluster named by `--db-cluster-identifier`, in the PostgreSQL dialect that Aurora Limitless speaks: sharded, reference and standard tables, routing to the shards that hold the data, joins across shards and transactions that commit on every shard or on none.",
                "The SQL comes from each `-c` and `-f` in the order given (`-f -` reads standard input). Without either, standard input is read; when it is a terminal, an interactive shell starts instead (see INTERACTIVE SHELL). Statements end with `;`.",
                "Each result is printed as soon as its statement finishes, followed by the command tag (`INSERT 0 3`, `CREATE TABLE`); `--quiet` leaves the tags out. Errors are printed to standard error as psql prints them (`ERROR:  ...`). After an error the remaining statements are skipped, unless `--on-error continue` is given.",
            ],
            sections: [
                ("OUTPUT FORMATS", ManPages.items([
                    (Roff.bold("table"), "Aligned columns under a header, with a `(N rows)` footer, as psql shows them. The default."),
                    (Roff.bold("json"), "One line per statement (JSON Lines): an object with the command tag, the column names and the rows, each row an array in column order; NULL is `null`."),
                    (Roff.bold("csv"), "A header line, then one line per row, quoted where needed."),
                    (Roff.bold("tsv"), "As csv, with tabs between the fields."),
                ])),
                ("INTERACTIVE SHELL", ManPages.paragraphs([
                    "With no `-c` or `-f` and a terminal on standard input, `limitless sql` reads statements line by line with readline editing. A statement runs once a `;` ends it, wherever the SQL splitter says it ends (a `;` inside a string, a comment or a trigger body does not count), so one statement may span lines and one line may hold several.",
                    "The prompt is the cluster identifier followed by `=>`, as psql shows the database name: `ID=>` for a new statement, `ID->` while one is being continued (with `'`, `\"`, `*` or `(` in place of `-` inside a string, a quoted name, a comment or parentheses), `ID=*>` inside a transaction and `ID=!>` once a statement in it failed, until `ROLLBACK`. It is bold on a terminal unless `NO_COLOR` is set or `TERM` is `dumb`.",
                    "History is kept in `$LIMITLESS_HOME/history` (the last 1000 entries) and recalled with the arrow keys, across sessions too. A statement typed over several lines comes back as one entry, all its lines; an entry that contains the word password is not recorded. Tab completes meta-commands, SQL keywords, table, view and column names, the `rds_aurora` settings and their values, and file names after `\\i` and `\\o`.",
                    "Ctrl-C cancels the running statement on the router and every shard (`ERROR:  canceling statement due to user request`), or throws away the line and the statement being typed; the shell goes on. Ctrl-D on an empty line quits. A statement that has run for a second shows a progress line on standard error until it ends. Errors are printed as psql prints them, with the line of the statement and a caret under the spot when there is one. Results taller than the terminal go through `$PAGER` (`less -S` when it is unset and less is installed; an empty `PAGER` turns paging off).",
                    "Lines that begin with a backslash are meta-commands, spelt as in psql:",
                ]) + ManPages.items([
                    (Roff.bold("\\?"), "List the meta-commands."),
                    (Roff.bold("\\h") + " [" + Roff.italic("statement") + "]", "Show the syntax of a SQL statement, or the statements there is help for."),
                    (Roff.bold("\\q"), "Quit."),
                    (Roff.bold("\\d"), "List the tables, views and indexes, with the Limitless type of each table."),
                    (Roff.bold("\\d") + " " + Roff.italic("name"), "Describe one table or view: its columns and indexes, and for a table its Limitless type, shard key, collocation group and how many rows each shard holds."),
                    (Roff.bold("\\dt") + ", " + Roff.bold("\\di") + ", " + Roff.bold("\\dv") + " [" + Roff.italic("pattern") + "]", "List only tables, indexes or views, optionally those matching a pattern (`*` and `?` as wildcards)."),
                    (Roff.bold("\\dist") + " " + Roff.italic("table"), "Show how the rows of a table are spread over the shards: one bar per shard, scaled to the largest, and the skew (largest shard over the mean; 1.00 is even). A quick way to see whether a shard key spreads the data."),
                    (Roff.bold("\\timing") + " [" + Roff.bold("on") + "|" + Roff.bold("off") + "]", "Print how long each statement took."),
                    (Roff.bold("\\x") + " [" + Roff.bold("on") + "|" + Roff.bold("off") + "|" + Roff.bold("auto") + "]", "Expanded display: one line per column, for wide rows; `auto` when the row does not fit the terminal."),
                    (Roff.bold("\\pset format") + " " + Roff.bold("aligned") + "|" + Roff.bold("csv") + "|" + Roff.bold("json"), "Choose the result format of the shell."),
                    (Roff.bold("\\pset pager") + " " + Roff.bold("on") + "|" + Roff.bold("off"), "Page results taller than the terminal through `$PAGER`."),
                    (Roff.bold("\\o") + " [" + Roff.italic("file") + "]", "Write results to a file, or back to the terminal without an argument."),
                    (Roff.bold("\\i") + " " + Roff.italic("file"), "Run the statements in a file."),
                    (Roff.bold("\\e"), "Edit the query buffer (or the last statement) in `$EDITOR`; what is saved runs when it ends with `;`."),
                    (Roff.bold("\\p") + ", " + Roff.bold("\\r"), "Show, or clear, the query buffer (the statement typed so far)."),
                    (Roff.bold("\\conninfo"), "Name the cluster and show its shard group: routers, shards and their files."),
                    (Roff.bold("\\set") + " [" + Roff.italic("name") + " [" + Roff.italic("value") + "]]", "Set a variable, or list them. In statements, `:name` inserts the value, `:'name'` as a string literal and `:\"name\"` as an identifier. `\\unset name` removes it."),
                    (Roff.bold("\\echo") + " " + Roff.italic("text"), "Print text."),
                ])),
                ("TABLE TYPES", ManPages.paragraphs([
                    "Where a new table lives is decided when it is created, by the session settings below:",
                ]) + ManPages.items([
                    (Roff.bold("sharded"), "Rows are spread over the shards by a hash of the shard key columns; each shard holds a part of the table. Suited to large tables that grow."),
                    (Roff.bold("collocation"), "A sharded table created with `rds_aurora.limitless_create_table_collocate_with` set to another sharded table shares that table's placement: rows with the same shard key value sit on the same shard, so joins and transactions on that key stay on one shard."),
                    (Roff.bold("reference"), "A full copy on every shard, written everywhere at once. Suited to small tables joined with sharded ones, such as codes or regions."),
                    (Roff.bold("standard"), "An ordinary table that lives on the router only, as in a single PostgreSQL database. The default."),
                ]) + ManPages.paragraphs([
                    "An existing standard table is turned into a sharded or reference table with `CALL rds_aurora.limitless_alter_table_type_sharded('table', ARRAY['column'])` or `CALL rds_aurora.limitless_alter_table_type_reference('table')`. The view `rds_aurora.limitless_tables` lists the tables with their type and distribution key.",
                ])),
                ("SETTINGS", ManPages.paragraphs([
                    "These are set with `SET name = value` (or `SET LOCAL`, until the end of the transaction), shown with `SHOW name` and cleared with `RESET name`:",
                ]) + ManPages.items([
                    (Roff.bold("rds_aurora.limitless_create_table_mode"), "`standard` (the default), `sharded` or `reference`: the type of the tables created next."),
                    (Roff.bold("rds_aurora.limitless_create_table_shard_key"), "The shard key of the sharded tables created next, as an array of column names, for example `'{\"cust_id\"}'`. Required in sharded mode unless the table is collocated."),
                    (Roff.bold("rds_aurora.limitless_create_table_collocate_with"), "The sharded table whose placement the next sharded tables share."),
                ]) + ManPages.paragraphs([
                    "Other PostgreSQL settings are accepted, remembered and shown back, but change nothing.",
                ])),
                ("ROUTING AND EXPLAIN", ManPages.paragraphs([
                    "The router runs each statement itself and reads sharded and reference tables through virtual tables that pass the filters down to the shards. When a filter fixes the shard key (`WHERE cust_id = 3`), only the shard that owns that key is read: the query is routed. Otherwise every shard is read and the router joins, groups, sorts and limits the combined rows. Joins between collocated tables on their shard key find matching rows on the same shard, and a reference table is the same on every shard. Standard tables live on the router.",
                    "Writes go where the rows live: an INSERT, UPDATE or DELETE on a sharded table changes only the shards that own the rows, one on a reference table changes every shard. A transaction that writes on several shards commits on all of them or on none.",
                    "`EXPLAIN` followed by a statement prints its distributed plan without running it: the tier (Single Shard Optimized, with the shard and the pinned key; Reference Tables Only; Standard Tables Only; or Router Execution), and for each distributed scan the task count (which shards, and why) and the SQL sent to each shard. `EXPLAIN ANALYZE` runs the statement and adds rows, loops, shards visited and time per scan. `SET rds_aurora.limitless_explain_options = 'single_shard_optimization,shard_plans'` adds each shard's own SQLite plan. `EXPLAIN QUERY PLAN` shows SQLite's plan at the router.",
                ])),
            ],
            examples: [
                Example(caption: "One statement, as JSON Lines:", lines: [
                    "limitless sql --db-cluster-identifier my-limitless-cluster --output json \\",
                    "    -c 'SELECT table_name, table_type FROM rds_aurora.limitless_tables'",
                ]),
                Example(caption: "A sharded table and a table collocated with it:", lines: [
                    "limitless sql --db-cluster-identifier my-limitless-cluster <<'SQL'",
                    "SET rds_aurora.limitless_create_table_mode = 'sharded';",
                    "SET rds_aurora.limitless_create_table_shard_key = '{\"cust_id\"}';",
                    "CREATE TABLE customer (cust_id INTEGER PRIMARY KEY, name TEXT);",
                    "SET rds_aurora.limitless_create_table_collocate_with = 'customer';",
                    "CREATE TABLE orders (order_id INTEGER, cust_id INTEGER, amount REAL,",
                    "    PRIMARY KEY (cust_id, order_id));",
                    "SQL",
                ]),
                Example(caption: "See how the router runs a query on the shard key:", lines: [
                    "limitless sql --db-cluster-identifier my-limitless-cluster \\",
                    "    -c 'EXPLAIN SELECT name FROM customer WHERE cust_id = 3'",
                ]),
                Example(caption: "Load a file all or nothing:", lines: [
                    "limitless sql --db-cluster-identifier my-limitless-cluster -f load.sql \\",
                    "    --single-transaction",
                ]),
            ],
            seeAlso: ["create-db-shard-group"]),
    ]
}
