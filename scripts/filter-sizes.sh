#!/usr/bin/env bash
# filter-sizes.sh [EXPRESSIONS]: how much of tcpdump's filter language raw-sniff compiles, and
# how long its programs are next to libpcap's, over the corpus in
# crates/raw-sniff/tests/data/filter-expressions.txt (one expression a line, '#' comments).
#
# Each expression is compiled for Ethernet by libpcap (`tcpdump -d -r FILE EXPR`, optimised as
# tcpdump attaches it) and by raw-sniff (`raw-sniff -d -r FILE --filter=EXPR`). Prints a markdown
# table: how many libpcap accepts, how many of those raw-sniff accepts, and over those both
# accept the ratio of raw-sniff's instruction count to libpcap's.
# Needs tcpdump; builds raw-sniff in release mode unless RAW_SNIFF names a binary.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-crates/raw-sniff/tests/data/filter-expressions.txt}
command -v tcpdump >/dev/null || { echo "filter-sizes.sh: tcpdump is needed" >&2; exit 1; }
if [[ -z ${RAW_SNIFF:-} ]]; then
  cargo build --quiet --locked -p raw-sniff --release
  RAW_SNIFF=target/release/raw-sniff
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A one-packet Ethernet capture (pcap, link type 1): both tools take the link type from it.
pcap=$work/eth.pcap
{
  printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  printf '\x00\x00\x04\x00\x01\x00\x00\x00'
  printf '\x00\x00\x00\x00\x00\x00\x00\x00\x3c\x00\x00\x00\x3c\x00\x00\x00'
  printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x06'
  printf '\x00\x01\x08\x00\x06\x04\x00\x01\x02\x00\x00\x00\x00\x01\x0a\x00\x00\x01'
  printf '\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x02'
  printf '\x00%.0s' {1..18}
} >"$pcap"

# Instruction count of a `-d` listing, or "-" when the tool refused the expression.
size() {
  local out
  if out=$("$@" 2>/dev/null); then
    grep -c '^([0-9]*)' <<<"$out" || true
  else
    echo -
  fi
}

while IFS= read -r expr; do
  [[ -z $expr || $expr == \#* ]] && continue
  pcap_n=$(size tcpdump -d -r "$pcap" -- "$expr")
  ours_n=$(size "$RAW_SNIFF" -d -r "$pcap" --filter="$expr")
  printf '%s\t%s\t%s\n' "$pcap_n" "$ours_n" "$expr"
done <"$corpus" >"$work/sizes.tsv"

if [[ -n ${FILTER_SIZES_TSV:-} ]]; then cp "$work/sizes.tsv" "$FILTER_SIZES_TSV"; fi

# Expressions both accept, as "ratio<TAB>ours<TAB>libpcap<TAB>expression", by ratio.
awk -F'\t' '$1 != "-" && $2 != "-" { printf "%.6f\t%s\t%s\t%s\n", $2 / $1, $2, $1, $3 }' \
  "$work/sizes.tsv" | sort -t"$(printf '\t')" -k1,1g >"$work/both.tsv"
lib=$(awk -F'\t' '$1 != "-"' "$work/sizes.tsv" | wc -l)
extra=$(awk -F'\t' '$1 == "-" && $2 != "-"' "$work/sizes.tsv" | wc -l)

awk -F'\t' -v lib="$lib" -v extra="$extra" '
  { n++; r[n] = $1; if ($1 > 1) larger++; if ($2 > 4096) over++ }
  END {
    med = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
    printf "| corpus figure | value |\n| --- | --- |\n"
    printf "| expressions libpcap accepts | %d |\n", lib
    printf "| of those, raw-sniff accepts | %d (%.1f%%) |\n", n, 100 * n / lib
    printf "| raw-sniff accepts, libpcap refuses | %d |\n", extra
    printf "| size ratio raw-sniff / libpcap: median | %.2f |\n", med
    printf "| size ratio: maximum | %.2f |\n", r[n]
    printf "| programs larger than libpcap'"'"'s | %d of %d |\n", larger, n
    printf "| programs over 4096 instructions | %d |\n", over
  }' "$work/both.tsv"
printf '\nLargest ratios:\n\n| raw-sniff | libpcap | ratio | expression |\n| ---: | ---: | ---: | --- |\n'
tail -n 10 "$work/both.tsv" | tac | awk -F'\t' '{
  e = $4; if (length(e) > 70) e = substr(e, 1, 67) "..."
  gsub(/\|/, "\\|", e)
  printf "| %d | %d | %.2f | `%s` |\n", $2, $3, $1, e }'
