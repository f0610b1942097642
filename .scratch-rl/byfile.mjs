import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const self = new Map();
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const agg = new Map();
for (const [id, t] of self) {
  const u = byId.get(id).callFrame.url;
  let k = u.includes('/node_modules/') ? 'nm:' + u.split('/node_modules/').pop().split('/')[0] : u.includes('/work/main/') ? u.split('/work/main/')[1].split('/').slice(0,2).join('/') : (u || byId.get(id).callFrame.functionName);
  agg.set(k, (agg.get(k) ?? 0) + t);
}
for (const [k,v] of [...agg].sort((a,b)=>b[1]-a[1]).slice(0,30)) console.log((v/1000).toFixed(0).padStart(6), k);
