/**
 * Self time of a `.cpuprofile` (from `node --cpu-prof`), by package and by function, as shares of the
 * busy (non-idle) samples; the first --skip seconds (start-up, warm-up) left out.
 *
 *   npm run bench:profile -- bench/profiles/CPU.*.cpuprofile [--skip 3] [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { skip: { type: 'string', default: '3' }, top: { type: 'string', default: '25' } },
});

function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node:internal';
  const src = url.indexOf('/src/');
  return src >= 0
    ? `ours: ${url
        .slice(src + 1)
        .split('/')
        .slice(0, 2)
        .join('/')}`
    : url;
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let elapsed = 0;
  let busy = 0;
  const skipUs = Number(values.skip) * 1e6;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    elapsed += dt;
    if (elapsed < skipUs) continue;
    const node = byId.get(profile.samples[i]!)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += dt;
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|dist)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  }
  const top = Number(values.top);
  const show = (title: string, m: Map<string, number>) => {
    console.log(`  ${title}`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`    ${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`);
  };
  console.log(`${file}: busy ${(busy / 1e6).toFixed(2)} s of ${((elapsed - skipUs) / 1e6).toFixed(2)} s`);
  show('by package', byPackage);
  show('by function', byFunction);
}
