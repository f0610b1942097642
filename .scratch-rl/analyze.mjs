import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; const samples = p.samples;
for (let i = 0; i < samples.length; i++) self.set(samples[i], (self.get(samples[i]) ?? 0) + (dt[i] ?? 0));
// parent map
const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
// inclusive per function key
const incl = new Map(); const selfF = new Map();
for (const [id, t] of self) {
  const n = byId.get(id); const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;
  selfF.set(key, (selfF.get(key) ?? 0) + t);
  const seen = new Set(); let cur = id;
  while (cur !== undefined) { const m = byId.get(cur); const k = `${m.callFrame.functionName || '(anon)'} ${m.callFrame.url.split('/').slice(-2).join('/')}:${m.callFrame.lineNumber}`; if (!seen.has(k)) { incl.set(k, (incl.get(k) ?? 0) + t); seen.add(k);} cur = parent.get(cur); }
}
const total = [...self.values()].reduce((a,b)=>a+b,0);
console.log('total ms', total/1000);
console.log('--- self');
for (const [k,v] of [...selfF].sort((a,b)=>b[1]-a[1]).slice(0,25)) console.log((v/1000).toFixed(0).padStart(7), k);
console.log('--- inclusive');
for (const [k,v] of [...incl].sort((a,b)=>b[1]-a[1]).slice(0,60)) console.log((v/1000).toFixed(0).padStart(7), k);
