# bash completion for auralith-pipeline. Install as
#   /usr/share/bash-completion/completions/auralith-pipeline
# Commands and options are read from the installed binary's --help (rendered from its
# option tables), so the completion follows the binary it completes.
_auralith_pipeline() {
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD - 1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  }
  local bin=${words[0]} cmd="" i
  for ((i = 1; i < cword; i++)); do
    [[ ${words[i]} != -* ]] && { cmd=${words[i]}; break; }
  done
  if [[ -z $cmd ]]; then
    local cmds
    cmds=$("$bin" --help 2>/dev/null | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
    COMPREPLY=($(compgen -W "$cmds --version --verbose --quiet --log-format --help" -- "$cur"))
    return
  fi
  case $prev in
    -c|--config) COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur")); return ;;
    -i|--input-dir|-o|--output-dir|-t|--tokenizers-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --strategy) COMPREPLY=($(compgen -W "round_robin least_busy dynamic" -- "$cur")); return ;;
    --state-store) COMPREPLY=($(compgen -W "redis memory" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    local opts
    opts=$("$bin" "$cmd" --help 2>/dev/null | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+')
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _auralith_pipeline auralith-pipeline
