# fish completion for limitless -- GENERATED from the command table (Sources/LimitlessCLI/Completions); do not edit.
# Install as $(PREFIX)/share/fish/vendor_completions.d/limitless.fish.
# Options, values and identifiers come from `limitless __complete`, which reads COMP_LINE.

# The command name is being typed: no other word yet, and not an option.
function __limitless_first
    test (count (commandline -opc)) -eq 1; and not string match -q -- '-*' (commandline -ct)
end

function __limitless_complete
    set -l bin (commandline -opc)[1]
    string match -q -- '*/*' $bin; or set bin limitless
    COMP_LINE=(commandline -cp) COMP_POINT= LIMITLESS_COMPLETE_DESCRIPTIONS=1 $bin __complete 2>/dev/null
end

complete -c limitless -f
complete -c limitless -n __limitless_first -a create-db-cluster -d 'Create a DB cluster (a local Aurora PostgreSQL Limitless cluster).'
complete -c limitless -n __limitless_first -a describe-db-clusters -d 'Show one DB cluster, or all of them.'
complete -c limitless -n __limitless_first -a modify-db-cluster -d 'Change settings of a DB cluster.'
complete -c limitless -n __limitless_first -a delete-db-cluster -d 'Delete a DB cluster that has no shard group left.'
complete -c limitless -n __limitless_first -a create-db-shard-group -d 'Create the shard group (router and shard files) of a limitless cluster.'
complete -c limitless -n __limitless_first -a describe-db-shard-groups -d 'Show one DB shard group, or all of them.'
complete -c limitless -n __limitless_first -a modify-db-shard-group -d 'Change the capacity settings of a DB shard group.'
complete -c limitless -n __limitless_first -a delete-db-shard-group -d 'Delete a DB shard group that holds no user tables.'
complete -c limitless -n __limitless_first -a reboot-db-shard-group -d 'Restart a DB shard group.'
complete -c limitless -n __limitless_first -a sql -d 'Run SQL on a cluster'\''s shard group (commands, files or standard input).'
complete -c limitless -n __limitless_first -a help -d 'Show the commands, or the options of one command (`limitless help COMMAND`).'
complete -c limitless -n 'not __limitless_first' -a '(__limitless_complete)'
