import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import pkg from './package.json';

/**
 * One build for the four Node entry points (Electron main, the `bootfleet` CLI and its
 * `serve` host, the `npm start` launcher, the privileged flash helper), the sandboxed preload, and the renderer.
 * Dependencies stay external in the Node builds (they are installed alongside).
 */
export default defineConfig({
  main: {
    define: { __BOOTFLEET_VERSION__: JSON.stringify(pkg.version) },
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'electron/main/index.ts'),
          cli: resolve(__dirname, 'electron/cli/index.ts'),
          launch: resolve(__dirname, 'electron/cli/launch.ts'),
          'flash-helper': resolve(__dirname, 'electron/helper/flash-helper.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'electron/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
  },
});
