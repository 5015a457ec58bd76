#!/usr/bin/env node
/**
 * `npm run dist [-- ELECTRON-BUILDER ARGS]`: the desktop packages (electron-builder.yml: AppImage,
 * deb and rpm for x64 and arm64 on Linux; dmg and nsis on their own systems). Packaging needs the
 * Electron runtime, a separate download: where it is not installed and cannot be downloaded (no
 * internet, an air-gapped build host), this stops with one line saying so, before building anything.
 * The headless package (`npm pack`) does not need Electron.
 */
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..', '..');
const electronDir = dirname(require.resolve('electron/package.json', { paths: [root] }));
if (!existsSync(join(electronDir, 'path.txt'))) {
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const got = spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  if (got.status !== 0 || !existsSync(join(electronDir, 'path.txt'))) {
    const lines = String(got.stderr || '').split('\n').map((l) => l.trim()).filter(Boolean);
    const why = lines.find((l) => /error/i.test(l) && !l.startsWith('at ')) || lines[0] || (got.error ? got.error.message : `exit status ${got.status}`);
    process.stderr.write(`npm run dist: the Electron runtime could not be downloaded (${why.slice(0, 200)}); packaging needs it, so run this where Electron's releases can be reached (the headless package, npm pack, does not need it).\n`);
    process.exit(1);
  }
}
// npm passes its config as npm_config_*: a nodedir there (for Node's own builds) would make the
// native rebuild use Node's headers instead of Electron's (native-abi.cjs catches it after packing).
const buildEnv = { ...process.env };
for (const k of Object.keys(buildEnv)) if (k.toLowerCase() === 'npm_config_nodedir') delete buildEnv[k];
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: false, env: buildEnv });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js', { paths: [root] }), 'build']);
const args = process.argv.slice(2);
// The Linux packages carry the flash helper (one per architecture) and their install scripts.
const linux = args.includes('--linux') || (process.platform === 'linux' && !args.some((a) => a === '--mac' || a === '--win'));
if (linux) {
  const { writeHelper, writeScripts } = require('./linux-package.cjs');
  const archs = ['x64', 'arm64'].filter((a) => args.includes(`--${a}`));
  const targets = archs.length ? archs : ['x64', 'arm64'];
  const fail = (what, e) => {
    process.stderr.write(`npm run dist: ${what} (${String(e.message || e).split('\n')[0].slice(0, 200)})\n`);
    process.exit(1);
  };
  (async () => {
    // Electron for each other architecture, into the cache electron-builder reads: a download that
    // fails stops here with one line rather than in the middle of packaging.
    const electronVersion = require(join(electronDir, 'package.json')).version;
    const get = require(require.resolve('@electron/get', { paths: [dirname(require.resolve('app-builder-lib/package.json', { paths: [root] }))] }));
    for (const arch of targets.filter((a) => a !== process.arch)) {
      await get.downloadArtifact({ version: electronVersion, artifactName: 'electron', platform: 'linux', arch }).catch((e) =>
        fail(`Electron ${electronVersion} for linux-${arch} could not be downloaded; packaging needs it, so run this where Electron's releases can be reached`, e),
      );
    }
    writeScripts();
    for (const arch of targets) await writeHelper(arch).catch((e) => fail('the flash helper could not be built', e));
  })().then(() => run(process.execPath, [require.resolve('electron-builder/cli.js', { paths: [root] }), ...args]));
} else {
  run(process.execPath, [require.resolve('electron-builder/cli.js', { paths: [root] }), ...args]);
}
