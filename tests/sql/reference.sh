# tests/sql/reference.sh - sourced by the shell tests: sl_reference, reference.py's rows,
# sorted, computed once per input.
#
#   . "$here/reference.sh"
#   sl_reference QUERY EVENTS.json [CAMPAIGNS.csv] > want    (as reference.py | LC_ALL=C sort)
#
# reference.py is plain Python over every event: about 0.7 s of CPU per call, several times
# what `sluice run` itself costs in the release build. The tests ask it for the same rows
# again and again: test_pipelines.sh for the same (query, events) at several worker counts
# and in every build (the events are generated deterministically, so release, ASan, capacity
# 2 and TSan ask for the same rows), the checkpoint tests once per build. The rows depend
# only on reference.py, the query and the input files' bytes, so they are kept in
# ${SLUICE_CACHE:-$HOME/.cache/sluice}/reference/H/K (H a hash of reference.py, K a hash of
# the query and the inputs' contents): a cache of a pure function, it cannot hide a change in
# sluice (the other side of every comparison) nor one in reference.py or the generator (a
# new H or K). Directories of an older reference.py go after a day. SLUICE_REFERENCE_CACHE=0
# computes every time. A failed reference.py is never kept, and fails the call.

sl_reference_py=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/reference.py

sl_reference() {
  local py=$sl_reference_py
  local root=${SLUICE_CACHE:-$HOME/.cache/sluice}/reference
  if [ "${SLUICE_REFERENCE_CACHE:-1}" = 0 ]; then
    python3 "$py" "$@" | LC_ALL=C sort
    return "${PIPESTATUS[0]}"
  fi
  local h k f dir tmpf
  h=$(sha256sum < "$py" | cut -c1-16)
  k=$({
    printf '%s\n' "$1"
    for f in "${@:2}"; do sha256sum < "$f" || return 1; done
  } | sha256sum | cut -c1-32)
  dir=$root/$h
  if [ -f "$dir/$k" ]; then
    cat "$dir/$k"
    return 0
  fi
  mkdir -p "$dir" 2>/dev/null
  tmpf=$(mktemp "$dir/.$k.XXXXXX" 2>/dev/null) || tmpf=$(mktemp)
  python3 "$py" "$@" | LC_ALL=C sort > "$tmpf"
  local rc=${PIPESTATUS[0]}
  cat "$tmpf"
  if [ "$rc" -eq 0 ] && mv -f "$tmpf" "$dir/$k" 2>/dev/null; then
    # the newest reference.py's rows stay; another's go after a day (several work trees
    # may share the cache, each with its own reference.py)
    find "$root" -mindepth 1 -maxdepth 1 -type d ! -name "$h" -mtime +1 \
        -exec rm -rf {} + 2>/dev/null
  else
    rm -f "$tmpf"
  fi
  return "$rc"
}
