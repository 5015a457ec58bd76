// Lint enforces the layering (as VS Code and GitHub Desktop do):
// - shared/ is the contract: no Node, no DOM-only code, no Electron;
// - electron/core, electron/cli, electron/serve and electron/helper run under plain Node: never `electron`;
// - the renderer talks only through the contract: no Node modules, nothing from electron/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const noSyncIpc = { selector: "CallExpression[callee.property.name='sendSync']", message: 'Synchronous IPC blocks the renderer.' };
// The Electron security checklist, where a lint rule can hold it (the rest is tested in electron/main).
const electronChecklist = [
  noSyncIpc,
  { selector: "Property[key.name='webSecurity'][value.value=false]", message: 'Never turn webSecurity off (Electron security checklist).' },
  { selector: "Property[key.name=/^(contextIsolation|sandbox)$/][value.value=false]", message: 'Renderers stay context-isolated and sandboxed (Electron security checklist).' },
  { selector: "Property[key.name=/^(nodeIntegration|nodeIntegrationInWorker|nodeIntegrationInSubFrames|allowRunningInsecureContent|experimentalFeatures|webviewTag)$/][value.value=true]", message: 'No Node in renderers, no insecure content, no experimental features, no webviews (Electron security checklist).' },
  { selector: "Property[key.name='enableBlinkFeatures']", message: 'Do not enable experimental Blink features (Electron security checklist).' },
  { selector: "Literal[value=/^(disable-web-security|ignore-certificate-errors|no-sandbox|allow-running-insecure-content)$/]", message: 'Chromium switches that weaken security are not used (Electron security checklist).' },
];
const noElectron = { name: 'electron', message: 'Only electron/main and electron/preload may import electron; this code must run under plain Node.' };

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'e2e/.artifacts/**', 'bench/.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', noSyncIpc],
    },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', ...electronChecklist] },
  },
  {
    files: ['electron/**/*.ts', 'bench/**/*.ts', 'e2e/**/*.ts', '*.config.*', '*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Build scripts run by npm before anything is compiled (plain CommonJS).
    files: ['electron/build/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron, ...nodeBuiltins.map((name) => ({ name, message: 'shared/ is the contract: plain TypeScript and zod only.' }))], patterns: [{ group: ['**/electron/**', '**/renderer/**'], message: 'shared/ must not depend on a host.' }] }],
    },
  },
  {
    files: ['electron/core/**/*.ts', 'electron/cli/**/*.ts', 'electron/serve/**/*.ts', 'electron/helper/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [{ regex: '^(\\.\\./)+(electron/)?(main|preload)(/|$)', message: 'Plain-Node code must not depend on the Electron shell.' }, { group: ['**/renderer/**'], message: 'Node code must not import the renderer.' }] }],
    },
  },
  {
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [{ regex: '^(\\.\\./)+(electron/)?(cli|serve|main|preload)(/|$)', message: 'The core is used by every host and must not depend on one.' }, { group: ['**/renderer/**'], message: 'The core must not import the renderer.' }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to the core only through renderer/src/lib/api.ts and the contract.' }, ...nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a browser sandbox: no Node modules.' }))],
          patterns: [{ group: ['**/electron/**', '!**/shared/**'], message: 'The renderer must not import from electron/; use the contract in shared/.' }],
        },
      ],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/core/**', '**/cli/**', '**/serve/**', '**/main/**'], message: 'The preload is a bridge only.' }] }],
    },
  },
);
