# bash completion for limitless -- GENERATED from the command table (Sources/LimitlessCLI/Completions); do not edit.
# Install as $(PREFIX)/share/bash-completion/completions/limitless, or source it from ~/.bashrc.
# Options, values and identifiers come from `limitless __complete`, which reads COMP_LINE.

_limitless() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local line=${COMP_LINE:0:COMP_POINT}
    local IFS=$'\n'
    local -a found
    if [[ $COMP_CWORD -eq 1 && $cur != -* ]]; then
        found=($(IFS=' '; compgen -W "create-db-cluster describe-db-clusters modify-db-cluster delete-db-cluster create-db-shard-group describe-db-shard-groups modify-db-shard-group delete-db-shard-group reboot-db-shard-group sql help" -- "$cur"))
    else
        local bin=${COMP_WORDS[0]}
        [[ $bin == */* ]] || bin=limitless
        found=($(COMP_LINE=$line COMP_POINT= "${bin/#\~/$HOME}" __complete 2>/dev/null))
        # bash splits words at = and : too (COMP_WORDBREAKS); the candidates are whole
        # words, so drop what lies before the piece bash is completing.
        local word=${line##*[[:space:]]}
        local cut=$(( ${#word} - ${#cur} ))
        local i
        for i in "${!found[@]}"; do
            (( cut > 0 )) && found[i]=${found[i]:cut}
            [[ ${found[i]} == *[!A-Za-z0-9._/:=@%+,~-]* && $cur != [\'\"]* ]] &&
                printf -v 'found[i]' %q "${found[i]}"
        done
    fi
    [[ ${#found[@]} -eq 1 && ${found[0]} == */ ]] && compopt -o nospace 2>/dev/null
    COMPREPLY=("${found[@]}")
}
complete -F _limitless limitless
