# Shared by the benchmarks (source it): samples in a TSV file and their medians.
#
#   load                  the machine's load averages (1, 5, 15 minutes)
#   sample S M REP V U    appends one sample (section, metric, repetition, value, unit) to $samples
#   stats S M             "median min max n" of a metric's samples

load() { awk '{ print $1 " " $2 " " $3 }' /proc/loadavg; }

sample() { # SECTION METRIC REP VALUE UNIT
  printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$samples"
}

stats() { # SECTION METRIC -> "median min max n"
  awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m { print $4 }' "$samples" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan nan nan 0"; exit }
             med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
             printf "%.3f %.3f %.3f %d\n", med, v[1], v[NR], NR }'
}
