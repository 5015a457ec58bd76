import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Electronegativity (Doyensec's checker for Electron misconfigurations) over the Electron sources:
 * every finding must be in the reviewed allow-list with a reason, and every allow-list entry must
 * still match a finding (so the list cannot rot). Its network lookups (newer translations, Electron
 * releases) are refused: `got` is replaced in the checker's process, so nothing leaves this machine
 * and the releases check finds nothing to say (the Electron version is pinned in package.json).
 */
const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');

interface Finding {
  check: string;
  file: string;
  location: string;
}

function scan(): Finding[] {
  const dir = mkdtempSync(join(tmpdir(), 'bootfleet-eneg-'));
  try {
    const stub = join(dir, 'no-network.cjs');
    writeFileSync(
      stub,
      `const Module = require('module');
const load = Module._load;
const refuse = () => Promise.reject(new Error('no network in tests'));
const got = Object.assign(refuse, { head: refuse, get: refuse });
// The checker uses commander without declaring it (it gets @electron/asar's, 5.x); ours is newer.
const commander = require.resolve('commander', { paths: [require('path').dirname(require.resolve('@electron/asar/package.json', { paths: [${JSON.stringify(join(ROOT, 'node_modules', '@doyensec', 'electronegativity'))}] }))] });
Module._load = function (request, parent, isMain) {
  if (request === 'got') return got;
  if (request === 'commander' && parent && parent.filename.includes('electronegativity')) return load.call(this, commander, parent, isMain);
  return load.call(this, request, parent, isMain);
};`,
    );
    // SARIF, not CSV: the checker writes a CSV's header and its rows with two concurrent
    // fs.writeFile calls, so the header can land after (or over) the rows; SARIF is one write.
    const out = join(dir, 'findings.sarif');
    const electron = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.electron!;
    execFileSync(process.execPath, ['--require', stub, BIN, '-i', join(ROOT, 'electron'), '-r', '-v', 'false', '-e', electron, '-o', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
      // The same (bundled) English texts wherever it runs.
      env: { ...process.env, LANG: 'en-US' },
      timeout: 120_000,
    });
    const sarif = JSON.parse(readFileSync(out, 'utf8')) as {
      runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number } } }[] }[] }[];
    };
    return sarif.runs.flatMap((run) =>
      run.results.map((r) => {
        const at = r.locations[0]!.physicalLocation;
        return { check: r.ruleId, file: at.artifactLocation.uri, location: `${at.region.startLine}:${at.region.startColumn - 1}` };
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Electronegativity', () => {
  it('finds nothing in the Electron sources that is not reviewed and allowed, and every allowance is still needed', () => {
    const allow = (JSON.parse(readFileSync(join(__dirname, 'electronegativity-allow.json'), 'utf8')) as { allow: { check: string; file: string; why: string }[] }).allow;
    for (const a of allow) expect(a.why.length, `${a.check} in ${a.file} needs a reason`).toBeGreaterThan(20);
    const findings = scan();
    const unexplained = findings.filter((f) => !allow.some((a) => a.check === f.check && a.file === f.file));
    expect(unexplained, 'findings that are neither fixed nor in electron/main/electronegativity-allow.json').toEqual([]);
    const stale = allow.filter((a) => !findings.some((f) => f.check === a.check && f.file === a.file));
    expect(stale, 'allow-list entries that match no finding any more: remove them').toEqual([]);
  }, 180_000);
});
