/**
 * What the Linux packages carry besides the app (electron-builder.yml points at the results):
 * - out/flash-helper/ARCH/: the flash helper executable (electron/build/flash-helper.cjs) and the
 *   polkit policy template, shipped outside the asar as resources/flash-helper;
 * - out/linux/after-install.tpl and after-remove.tpl: electron-builder's own scripts for the deb
 *   and rpm (the /usr/bin link, Chromium's sandbox, the AppArmor profile), read from the installed
 *   electron-builder so its fixes keep coming, with Bootfleet's part appended (the helper's polkit
 *   action, resources/linux/after-*.sh). electron-builder fills in ${executable} and the like.
 */
const { copyFileSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { buildFlashHelper } = require('./flash-helper.cjs');

const ROOT = resolve(__dirname, '..', '..');
const LINUX = join(ROOT, 'resources', 'linux');

function builderTemplate(name) {
  const lib = dirname(require.resolve('app-builder-lib/package.json', { paths: [dirname(require.resolve('electron-builder/package.json', { paths: [ROOT] }))] }));
  return readFileSync(join(lib, 'templates', 'linux', name), 'utf8');
}

/** The after-install and after-remove templates, written to `outDir`. */
function writeScripts(outDir = join(ROOT, 'out', 'linux')) {
  mkdirSync(outDir, { recursive: true });
  for (const step of ['after-install', 'after-remove']) {
    const ours = readFileSync(join(LINUX, `${step}.sh`), 'utf8');
    writeFileSync(join(outDir, `${step}.tpl`), `${builderTemplate(`${step}.tpl`).trimEnd()}\n${ours}`, { mode: 0o755 });
  }
  return outDir;
}

/** resources/flash-helper for one architecture: the helper and its policy template. */
async function writeHelper(arch, outDir = join(ROOT, 'out', 'flash-helper', arch)) {
  await buildFlashHelper({ arch, out: join(outDir, 'bootfleet-flash-helper') });
  copyFileSync(join(LINUX, 'io.bootfleet.app.policy.in'), join(outDir, 'io.bootfleet.app.policy.in'));
  return outDir;
}

module.exports = { writeScripts, writeHelper };
