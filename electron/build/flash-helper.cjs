#!/usr/bin/env node
/**
 * The privileged flash helper as a program of its own, for the desktop packages:
 * `resources/flash-helper/bootfleet-flash-helper`, outside the asar archive, which pkexec starts
 * as root. It is a Node single executable application (node's SEA: the helper bundled into one
 * script with esbuild and injected into a copy of the Node binary with postject), because the
 * packaged Electron binary cannot run scripts as Node (the RunAsNode fuse is off) and the
 * machine it is installed on may have no Node at all. It needs no environment (pkexec clears it).
 *
 *   node electron/build/flash-helper.cjs --arch x64|arm64 --out FILE
 *
 * The host's own architecture uses this Node. Another needs a Node binary of the same version for
 * that architecture: BOOTFLEET_NODE_ARM64 (or _X64) names one, or it is downloaded from nodejs.org
 * and checked against the release's SHASUMS256.txt.
 */
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'electron', 'helper', 'flash-helper.ts');
/** Node's documented sentinel for the SEA blob (docs: single-executable-applications). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The helper and everything it imports as one CommonJS file (a SEA may require only built-ins). */
function bundle(outFile) {
  require('esbuild').buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    outfile: outFile,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const external = [...readFileSync(outFile, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => !m.startsWith('node:'));
  if (external.length) throw new Error(`the flash helper bundle requires ${external.join(', ')}; a single executable can load only Node's built-in modules`);
}

/** Runs a build step; its chatter (postject's ELF section warnings) is shown only when it fails. */
function quiet(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });
  } catch (e) {
    throw new Error(`${args[0]} failed: ${String(e.stderr || e.stdout || e.message).trim()}`, { cause: e });
  }
}

async function download(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** A Node binary of this version for `arch`. */
async function nodeBinary(arch, work) {
  if (arch === process.arch) return process.execPath;
  const named = process.env[`BOOTFLEET_NODE_${arch.toUpperCase()}`];
  if (named) {
    const v = execFileSync(named, ['--version'], { encoding: 'utf8' }).trim();
    if (v !== process.version) throw new Error(`BOOTFLEET_NODE_${arch.toUpperCase()} is Node ${v}; the helper is built with ${process.version} and needs the same version`);
    return named;
  }
  const name = `node-${process.version}-linux-${arch}.tar.xz`;
  const base = `https://nodejs.org/dist/${process.version}/`;
  const sums = (await download(`${base}SHASUMS256.txt`)).toString('utf8');
  const want = sums.split('\n').find((l) => l.endsWith(`  ${name}`))?.split(' ')[0];
  if (!want) throw new Error(`${base}SHASUMS256.txt does not list ${name}`);
  const tarball = await download(base + name);
  const got = createHash('sha256').update(tarball).digest('hex');
  if (got !== want) throw new Error(`${name}: SHA-256 ${got}, but SHASUMS256.txt says ${want}`);
  writeFileSync(join(work, name), tarball);
  execFileSync('tar', ['-xJf', join(work, name), '-C', work, `node-${process.version}-linux-${arch}/bin/node`]);
  return join(work, `node-${process.version}-linux-${arch}`, 'bin', 'node');
}

/** Builds the helper executable for `arch` at `out`. */
async function buildFlashHelper({ arch = process.arch, out }) {
  const work = mkdtempSync(join(tmpdir(), 'bootfleet-helper-'));
  try {
    const script = join(work, 'flash-helper.js');
    bundle(script);
    const blob = join(work, 'flash-helper.blob');
    const config = join(work, 'sea-config.json');
    // No snapshot or code cache: the blob is then the same for every architecture of this Node version.
    writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }));
    quiet(process.execPath, ['--experimental-sea-config', config]);
    const node = await nodeBinary(arch, work);
    mkdirSync(dirname(out), { recursive: true });
    rmSync(out, { force: true });
    copyFileSync(node, out);
    chmodSync(out, 0o755);
    const postject = require.resolve('postject/dist/cli.js', { paths: [ROOT] });
    quiet(process.execPath, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { buildFlashHelper };

if (require.main === module) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const out = arg('--out');
  if (!out) {
    process.stderr.write('usage: node electron/build/flash-helper.cjs [--arch x64|arm64] --out FILE\n');
    process.exit(2);
  }
  buildFlashHelper({ arch: arg('--arch'), out: resolve(out) }).catch((e) => {
    process.stderr.write(`flash helper: ${e.message}\n`);
    process.exit(1);
  });
}
