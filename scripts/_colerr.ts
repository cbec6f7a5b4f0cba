import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { generateSample } from '../src/world/generate';
import { seedDifficulty } from '../src/world/seeds';
import { viewPixels } from '../src/world/resolvability';
const files = ['f16','val','val2','val3','val4'];
const rows: string[] = [];
const sizeBins: Record<string, [number, number]> = {};
const kinds: Record<string, number> = {};
const pfx = process.argv[2] ?? 'v37c';
for (const f of files) {
  const d = JSON.parse(gunzipSync(readFileSync(`evals/${pfx}-${f}.json.gz`)).toString());
  for (const r of d.records) {
    if (r.family !== 'colour') continue;
    const seed = Number(r.id);
    const s = generateSample(seed, { difficulty: seedDifficulty(seed) });
    const t = s.scene.objects.find(o => o.id === s.targetIds[0])!;
    const v = viewPixels(t.size, s.scene);
    const bin = v < 10 ? '8-10' : v < 12 ? '10-12' : v < 16 ? '12-16' : '16+';
    sizeBins[bin] ??= [0, 0]; sizeBins[bin][0]++; if (r.correct) sizeBins[bin][1]++;
    if (!r.correct) {
      const cands = s.scene.objects.filter(o => o.colour === r.answer && o.id !== t.id);
      const c = cands.sort((a,b)=>b.size-a.size)[0];
      const cv = c ? viewPixels(c.size, s.scene) : 0;
      const k = c ? `${c.shape}${cv >= 8 ? '>=8' : cv >= 4 ? '4-8' : '<4'}` : 'none';
      kinds[`${t.shape}->${k}`] = (kinds[`${t.shape}->${k}`] ?? 0) + 1;
      kinds[`cand ${cv >= 8 ? '>=8' : cv >= 4 ? '4-8' : '<4'}`] = (kinds[`cand ${cv >= 8 ? '>=8' : cv >= 4 ? '4-8' : '<4'}`] ?? 0) + 1;
      kinds[`tgt ${bin}`] = (kinds[`tgt ${bin}`] ?? 0) + 1;
      if (rows.length < 20) rows.push(`${r.id} ${t.shape} v=${v.toFixed(1)} ans=${r.answer} truth=${r.truth} cand=${c?.shape}@${cv.toFixed(1)} n=${s.scene.objects.length}`);
    }
  }
}
console.log(rows.join('\n'));
console.log(sizeBins);
console.log(Object.entries(kinds).sort((a,b)=>b[1]-a[1]).slice(0,40));
