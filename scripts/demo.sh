#!/usr/bin/env bash
# The demo behind the README's first command: version a generated dataset end to end with the
# built cairn: commit, change, branch, diff, read history back without a checkout, verify.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cairn() { node "$here/bin/cairn" "$@"; }
step() { printf '\n\033[1m$ cairn %s\033[0m\n' "$*"; cairn "$@"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export CAIRN_AUTHOR_NAME="Demo User" CAIRN_AUTHOR_EMAIL="demo@example.com"
node "$here/scripts/gen-dataset.mjs" "$work/dataset"
cd "$work/dataset"

step init
step add .
step status --short
step commit -m "Import products, stores, sales and a model blob"

# Change the data: edit a price, append sales, drop a file.
sed -i 's/^SKU-0007,\([^,]*\),[^,]*,/SKU-0007,\1,19.99,/' tables/products.csv
printf '{"id":20000,"sku":"SKU-0007","qty":3,"ts":1700740000}\n' >> events/sales.jsonl
step status
step diff --stat
step commit -a -m "Reprice SKU-0007 and record a new sale"

step switch -c cleanup
step rm blobs/model.bin
step commit -m "Remove the model blob from the dataset"
step log --oneline --graph main cleanup
step switch main
step diff main cleanup
step log --oneline -n 5

# Any past version is readable without a checkout.
printf '\n\033[1m$ cairn cat HEAD~1:tables/products.csv | grep SKU-0007\033[0m\n'
cairn cat HEAD~1:tables/products.csv | grep SKU-0007
step ls -l HEAD:tables
step show HEAD
step branch -v
step fsck
printf '\nDemo finished: repository in a temporary folder, removed on exit.\n'
