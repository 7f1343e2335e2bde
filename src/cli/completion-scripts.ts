// The scripts `podrun completion bash|zsh` prints. Like cobra's, they hold no knowledge of
// podrun: they call `podrun __complete -- WORDS...` with the words typed so far and offer the
// lines it prints; its last line, `:N`, is cobra's directive (4: no file names).

export const BASH_COMPLETION = `# bash completion for podrun                               -*- shell-script -*-
# Load it in this shell with:  source <(podrun completion bash)

__podrun_complete()
{
    local cur="\${COMP_WORDS[COMP_CWORD]}"
    local out line directive=0
    COMPREPLY=()
    out=$("\${COMP_WORDS[0]}" __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
    while IFS='' read -r line; do
        case "$line" in
            :*) directive=\${line#:} ;;
            ?*) COMPREPLY+=("$line") ;;
        esac
    done <<< "$out"
    # Directive 4 (no file names): with nothing to offer, offer nothing.
    if [[ \${#COMPREPLY[@]} -eq 0 && $((directive & 4)) -eq 0 ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

complete -F __podrun_complete podrun
`;

export const ZSH_COMPLETION = `#compdef podrun
# Load it in this shell with:  source <(podrun completion zsh)

_podrun()
{
    local -a lines candidates
    local line directive=0
    lines=("\${(@f)$(\${words[1]} __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
    for line in "\${lines[@]}"; do
        case "$line" in
            :*) directive=\${line#:} ;;
            ?*) candidates+=("$line") ;;
        esac
    done
    if (( \${#candidates} )); then
        compadd -- "\${candidates[@]}"
    elif (( (directive & 4) == 0 )); then
        _files
    fi
}

if [ "$funcstack[1]" = "_podrun" ]; then
    _podrun "$@"
else
    compdef _podrun podrun
fi
`;
