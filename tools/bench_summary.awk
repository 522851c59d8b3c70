# tools/bench_summary.awk - a short readable summary of a sluice-bench JSON file: for each
# benchmark its items/s, and for DRAM-resident ones the fraction of membw/read's bandwidth.
# Reads google-benchmark's JSON line by line (its layout puts one field per line).
/"name":/ {
  name = $0; sub(/.*"name": "/, "", name); sub(/",?$/, "", name)
}
/"bytes_per_second":/ {
  v = $0; sub(/.*: /, "", v); sub(/,$/, "", v); bps[name] = v + 0
}
/"items_per_second":/ {
  v = $0; sub(/.*: /, "", v); sub(/,$/, "", v); ips[name] = v + 0
  if (!(name in seen)) { order[++n] = name; seen[name] = 1 }
}
END {
  bw = 0
  for (i = 1; i <= n; i++) if (order[i] ~ /^membw\/read/) bw = bps[order[i]]
  if (bw > 0) printf "  %-44s %8.2f GB/s (the reference)\n", "memory bandwidth (streaming read)", bw / 1e9
  for (i = 1; i <= n; i++) {
    k = order[i]
    if (k ~ /^membw/) continue
    line = sprintf("  %-44s %10.1f M items/s", k, ips[k] / 1e6)
    if (k ~ /dram/ && bw > 0 && (k in bps))
      line = line sprintf("   %5.1f%% of memory bandwidth", 100 * bps[k] / bw)
    print line
  }
}
