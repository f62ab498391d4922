// Generates the demo dataset: a few CSV, JSON and JSON Lines files and one multi-MiB binary, from a
// fixed seed, so every run of the demo shows the same ids.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'dataset';
let seed = 42;
// Math.imul keeps the LCG in 32 bits; a plain multiply loses precision and cycles early.
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed >>> 1);

mkdirSync(join(dir, 'tables'), { recursive: true });
mkdirSync(join(dir, 'events'), { recursive: true });
mkdirSync(join(dir, 'blobs'), { recursive: true });

let csv = 'sku,name,price,stock\n';
for (let i = 1; i <= 200; i++) csv += `SKU-${String(i).padStart(4, '0')},item ${rnd() % 1000},${(rnd() % 10000) / 100},${rnd() % 500}\n`;
writeFileSync(join(dir, 'tables', 'products.csv'), csv);

const stores = Array.from({ length: 20 }, (_, i) => ({ id: i + 1, city: `city-${rnd() % 90}`, open: rnd() % 2 === 0 }));
writeFileSync(join(dir, 'tables', 'stores.json'), `${JSON.stringify({ version: 1, stores }, null, 2)}\n`);

let events = '';
for (let i = 0; i < 20000; i++)
  events += `${JSON.stringify({ id: i, sku: `SKU-${String((rnd() % 200) + 1).padStart(4, '0')}`, qty: (rnd() % 9) + 1, ts: 1700000000 + i * 37 })}\n`;
writeFileSync(join(dir, 'events', 'sales.jsonl'), events);

const blob = Buffer.alloc(3 << 20);
for (let i = 0; i < blob.length; i += 4) blob.writeUInt32LE(rnd(), i);
writeFileSync(join(dir, 'blobs', 'model.bin'), blob);
console.log(`generated demo dataset in ${dir}`);
