#!/usr/bin/env bash
# The demo behind the README's first command: version a generated dataset end to end with the
# built cairn: commit, change, branch, diff, merge (cleanly, and through a resolved conflict), read
# history back without a checkout, verify.
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

# Merge data, not lines: two branches edit different records of the same JSON and CSV files.
edit_store() { node -e 'const f=process.argv[1],d=JSON.parse(require("fs").readFileSync(f,"utf8"));d.stores[+process.argv[2]][process.argv[3]]=JSON.parse(process.argv[4]);require("fs").writeFileSync(f,JSON.stringify(d,null,2)+"\n")' tables/stores.json "$@"; }
step switch -c stores-update
edit_store 2 city '"Hamburg"'
sed -i 's/^SKU-0010,\([^,]*\),\([^,]*\),[^,]*$/SKU-0010,\1,\2,999/' tables/products.csv
step commit -a -m "Move store 3 to Hamburg and restock SKU-0010"
step switch main
edit_store 5 city '"Berlin"'
sed -i 's/^SKU-0020,\([^,]*\),[^,]*,/SKU-0020,\1,5.49,/' tables/products.csv
step commit -a -m "Move store 6 to Berlin and reprice SKU-0020"
step merge stores-update
printf '\n\033[1m$ grep -E "Berlin|Hamburg" tables/stores.json; grep -E "SKU-00(10|20)," tables/products.csv\033[0m\n'
grep -E "Berlin|Hamburg" tables/stores.json; grep -E "SKU-00(10|20)," tables/products.csv
step log --oneline --graph -n 4

# A real conflict: both branches reprice SKU-0007. The merge stops, the CSV stays valid (ours'
# price), and the conflict is shown cell by cell, resolved, and committed.
step switch -c promo
sed -i 's/^SKU-0007,\([^,]*\),[^,]*,/SKU-0007,\1,14.99,/' tables/products.csv
step commit -a -m "Promo price for SKU-0007"
step switch main
sed -i 's/^SKU-0007,\([^,]*\),[^,]*,/SKU-0007,\1,21.00,/' tables/products.csv
step commit -a -m "List price for SKU-0007"
step merge promo || true
step status
step conflicts
step resolve tables/products.csv --theirs
step merge --continue
step log --oneline --graph -n 5

# Any past version is readable without a checkout.
printf '\n\033[1m$ cairn cat HEAD~1:tables/products.csv | grep SKU-0007\033[0m\n'
cairn cat HEAD~1:tables/products.csv | grep SKU-0007
step ls -l HEAD:tables
step show HEAD
step branch -v
step fsck

# Sync: serve a folder of repositories on loopback, push to it (the first push creates the
# repository), clone a second replica, change data on both sides, and pull the other side's work.
printf '\n\033[1m$ cairn serve --root %s --port 0 &\033[0m\n' "$work/server"
mkdir -p "$work/server"
node "$here/bin/cairn" serve --root "$work/server" --port 0 --json --log "$work/server.log" > "$work/serve.json" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do [ -s "$work/serve.json" ] && break; sleep 0.1; done
url="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url)' "$work/serve.json")"
step remote add origin "$url/dataset"
step push origin main
cd "$work"
step clone "$url/dataset" replica
cd "$work/replica"
sed -i 's/^SKU-0030,\([^,]*\),[^,]*,/SKU-0030,\1,7.77,/' tables/products.csv
step commit -a -m "Reprice SKU-0030 on the replica"
step push
cd "$work/dataset"
printf '{"id":20001,"sku":"SKU-0040","qty":1,"ts":1700740100}\n' >> events/sales.jsonl
step commit -a -m "Record another sale"
step push || true
step pull
step push
step status
step log --oneline --graph -n 4
step snapshot -m "Nightly snapshot" --tag nightly-1 --push origin --exit-zero
cd "$work/replica"
step pull
step fsck
printf '\nDemo finished: repositories and server in a temporary folder, removed on exit.\n'
