/**
 * Native modules in a desktop package must be built for Electron's ABI, not Node's. A build host
 * whose npm config sets `nodedir` (as some do) makes electron-builder's rebuild "succeed" against
 * Node's headers, and the packaged app then fails at start with NODE_MODULE_VERSION errors. This
 * reads each unpacked `.node` file's registration symbol: `node_register_module_vNNN` names the ABI
 * it was built for; Node-API modules (`napi_register_module_v1`) work with any.
 *
 * electron-builder runs it as the afterPack hook (electron-builder.yml); it stops the build with
 * the modules that are wrong.
 */
const { readFileSync, readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

function* nodeFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* nodeFiles(p);
    else if (e.name.endsWith('.node')) yield p;
  }
}

/** The `.node` files under `dir` built for another ABI than `abi`, with the ABI each was built for. */
function wrongAbi(dir, abi) {
  const wrong = [];
  for (const file of nodeFiles(dir)) {
    const text = readFileSync(file).toString('latin1');
    const m = /node_register_module_v(\d+)/.exec(text);
    if (m && Number(m[1]) !== Number(abi)) wrong.push({ file: relative(dir, file), abi: Number(m[1]) });
  }
  return wrong;
}

/** electron-builder's afterPack: the unpacked natives must match the Electron being packaged. */
async function afterPack(context) {
  const electron = require('electron/package.json').version;
  const abi = require('node-abi').getAbi(electron, 'electron');
  const unpacked = context.electronPlatformName === 'darwin'
    ? join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`, 'Contents', 'Resources', 'app.asar.unpacked')
    : join(context.appOutDir, 'resources', 'app.asar.unpacked');
  const wrong = wrongAbi(unpacked, abi);
  if (wrong.length) {
    throw new Error(
      `native modules built for another ABI than Electron ${electron}'s (${abi}): ${wrong.map((w) => `${w.file} (${w.abi})`).join(', ')}. ` +
        'The rebuild used Node headers: remove nodedir from your npm config (npm config delete nodedir) and run npm run dist again.',
    );
  }
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.wrongAbi = wrongAbi;
